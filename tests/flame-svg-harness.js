// flame-svg-harness.js — runs the script of a `leakscope flamegraph --svg`
// picture under node on a small stand-in for the DOM, and drives it: hover
// a frame, click to zoom into one, search. Prints what it saw as JSON for
// tests/check-flamegraph.py.
//
// usage: node flame-svg-harness.js DOC.json ZOOM SEARCH
//   DOC.json: {svg: {attrs}, script: text, elements: [{id, tag, attrs, text,
//   children: [...]}]} as check-flamegraph.py reads it from the SVG.
//
// SPDX-License-Identifier: MIT
'use strict';
const fs = require('fs');
const [docPath, zoomName, searchTerm] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));

class Element {
  constructor(spec) {
    this.tagName = spec.tag;
    this.attrs = Object.assign({}, spec.attrs);
    this.textContent = spec.text || '';
    this.style = {};
    this.listeners = {};
    this.children = (spec.children || []).map((c) => new Element(c));
  }
  getAttribute(k) { return k in this.attrs ? String(this.attrs[k]) : null; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  querySelector(tag) { return this.children.find((c) => c.tagName === tag) || null; }
  addEventListener(kind, f) { (this.listeners[kind] = this.listeners[kind] || []).push(f); }
  fire(kind, e) { (this.listeners[kind] || []).forEach((f) => f(e || { stopPropagation() {}, preventDefault() {} })); }
}

const byId = {};
const elements = doc.elements.map((s) => new Element(s));
doc.elements.forEach((s, i) => { if (s.id) byId[s.id] = elements[i]; });
const root = new Element({ tag: 'svg', attrs: doc.svg });
const docListeners = {};
global.document = {
  documentElement: root,
  getElementById: (id) => byId[id] || null,
  addEventListener: (kind, f) => { (docListeners[kind] = docListeners[kind] || []).push(f); },
};
let prompted = null;
global.prompt = (question, def) => { prompted = question; return searchTerm; };

// The picture's own script, as it would run in a browser.
(0, eval)(doc.script + '\n;globalThis.init = init;');
globalThis.init({});

const frames = byId.frames.children;
const named = (n) => frames.find((g) => g.getAttribute('data-n') === n);
const state = () => frames.map((g) => ({
  name: g.getAttribute('data-n'),
  shown: g.style.display !== 'none',
  x: +g.querySelector('rect').getAttribute('x'),
  w: +g.querySelector('rect').getAttribute('width'),
  label: g.querySelector('text').textContent,
  fill: g.querySelector('rect').getAttribute('fill'),
}));

const out = {};
named(zoomName).fire('mouseover');
out.hover = byId.details.textContent;
named(zoomName).fire('click');
out.zoomed = state();
out.reset_shown = byId.reset.style.display !== 'none';
(docListeners.keydown || []).forEach((f) => f({ ctrlKey: true, key: 'f', preventDefault() {} }));
out.prompted = prompted;
out.matched = byId.matched.textContent;
out.searched = state();
byId.reset.fire('click');
out.unzoomed = state();
console.log(JSON.stringify(out));
