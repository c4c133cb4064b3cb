// record-cxx.cpp — C++ new/delete reach the recorder through libstdc++'s
// operator new (which calls malloc): a known leak from a known function.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

struct Node {
    char payload[6000];
    Node *next;
};

static Node *leaked_list;

__attribute__((noinline)) static void leak_new()
{
    for (int i = 0; i < 4; i++) {
        Node *n = new Node();
        n->next = leaked_list;
        leaked_list = n;
    }
}

__attribute__((noinline)) static void no_leak()
{
    std::vector<std::string> v;
    for (int i = 0; i < 1000; i++)
        v.push_back(std::string(100, 'x'));
    auto p = std::make_unique<int[]>(5000);
    p[0] = 1;
    delete[] new char[12345];
}

int main()
{
    leak_new();
    no_leak();
    std::printf("{\"leak_new\": [%zu, 4]}\n", 4 * sizeof(Node));
    return 0;
}
