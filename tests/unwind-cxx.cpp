// unwind-cxx.cpp — C++ shapes for tests/test-unwind.c: std::sort with a
// lambda, virtual calls, std::function, and frames of functions with an
// exception table (CIE augmentation "zPLR").
//
// SPDX-License-Identifier: MIT
#include "unwind-cases.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

extern "C" int unwind_cxx_sort(int n)
{
    std::vector<int> v(static_cast<size_t>(n));
    for (int i = 0; i < n; i++)
        v[static_cast<size_t>(i)] = (i * 7919) % n;
    int probes = 20;
    std::sort(v.begin(), v.end(), [&probes](int a, int b) {
        if (probes > 0) {
            probes--;
            unwind_probe();
        }
        return a < b;
    });
    return v[0];
}

namespace {

struct Shape {
    virtual ~Shape() = default;
    virtual int visit(int depth) = 0;
};

struct Leaf final : Shape {
    int visit(int depth) override
    {
        unwind_probe();
        return depth;
    }
};

struct Branch final : Shape {
    std::unique_ptr<Shape> next;
    explicit Branch(std::unique_ptr<Shape> n) : next(std::move(n)) {}
    __attribute__((noinline)) int visit(int depth) override
    {
        int r = next->visit(depth + 1);
        UNWIND_OPAQUE(r);
        return r + 1;
    }
};

} // namespace

extern "C" int unwind_cxx_virtual(int depth)
{
    std::unique_ptr<Shape> s = std::make_unique<Leaf>();
    for (int i = 0; i < depth; i++)
        s = std::make_unique<Branch>(std::move(s));
    return s->visit(0);
}

__attribute__((noinline)) static int through_function(int depth, const std::function<int(int)> &f)
{
    int r = depth <= 0 ? f(depth) : through_function(depth - 1, f);
    UNWIND_OPAQUE(r);
    return r;
}

extern "C" int unwind_cxx_function(int depth)
{
    std::vector<int> held(3, depth);
    std::function<int(int)> f = [&held](int d) {
        unwind_probe();
        return d + held[0];
    };
    return through_function(depth, f);
}

__attribute__((noinline)) static int thrower(int x)
{
    if (x >= 0)
        throw std::runtime_error("expected");
    return x;
}

// Frames with cleanups and handlers: their FDEs carry an LSDA.
__attribute__((noinline)) static int with_handler(int depth)
{
    std::vector<int> cleanup(4, depth);
    int r = 0;
    try {
        r = thrower(depth);
    } catch (const std::runtime_error &) {
        r = cleanup[1];
    }
    if (depth > 0) {
        int s = with_handler(depth - 1);
        UNWIND_OPAQUE(s);
        r += s;
    } else {
        unwind_probe();
    }
    return r + cleanup[2];
}

extern "C" int unwind_cxx_after_throw(int depth)
{
    return with_handler(depth);
}
