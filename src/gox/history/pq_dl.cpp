#include <gox/history/pq_dl.hpp>

#include <gox/history/store.hpp>

#include <string>

#include <dlfcn.h>

namespace gox::history::pq {

namespace {

struct Loaded {
    Api api;
    std::string error; // why it could not be loaded; "" when it was
};

Loaded load() {
    Loaded l;
    void* lib = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* e = ::dlerror();
        l.error = std::string("history: a PostgreSQL history needs libpq (libpq.so.5, Debian's libpq5), which cannot "
                              "be loaded: ") + (e ? e : "unknown error");
        return l;
    }
#define GOX_PQ_RESOLVE(name)                                                                                          \
    l.api.name = reinterpret_cast<decltype(&::name)>(::dlsym(lib, #name));                                            \
    if (!l.api.name && l.error.empty()) l.error = "history: libpq.so.5 has no " #name;
    GOX_PQ_FUNCTIONS(GOX_PQ_RESOLVE)
#undef GOX_PQ_RESOLVE
    return l; // the library stays loaded for the process's life
}

} // namespace

const Api& api() {
    static const Loaded loaded = load();
    if (!loaded.error.empty()) throw HistoryError(loaded.error);
    return loaded.api;
}

} // namespace gox::history::pq
