#pragma once
// Portable key inputs (--why): the inputs of a package's action key, as go
// hashed them (a GODEBUG=gocachehash=1 build record, see hashes.hpp), in a
// compact form that a JSON summary can carry to another machine, so that two
// summaries can be compared input by input (cross_diff.hpp).
//
// Each input is one string, its fields separated by tabs (one line each in
// an indented document): "kind\tkey\tdigest" or "kind\tkey\tdigest\tvalue".
//   kind:   a GOX_HASH_INPUTS id (hashes.hpp);
//   key:    what a keyed input is keyed by (file name, dependency import path,
//           variable name, C compiler) or, for modinfo, the build-info entry
//           ("dep golang.org/x/mod", "build -tags", "build vcs.revision");
//           "" for the others;
//   digest: the first 16 hex digits of the SHA-256 of the input as go hashed
//           it (absolute paths and all), so equal digests mean equal inputs;
//   value:  only where it is short and safe to show (Go version, target,
//           flags without secrets, GOAMD64..., module versions, build
//           settings), with paths normalised: the module root becomes
//           $MODROOT, GOROOT $GOROOT, the module cache $GOMODCACHE, the home
//           directory ~. Two checkouts with the same layout give the same
//           value and different digests: the directory differs, its layout
//           does not. Environment values other than the architecture
//           variables and GOEXPERIMENT, C flags, and anything secret-shaped
//           (report::redact_text would change it) are digests only.
// The order is go's hashing order.

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

// The machine's roots that paths are normalised against; "" for unknown.
struct KeyRoots {
    std::string module_root; // the main module's directory
    std::string goroot;
    std::string gomodcache; // found from a package's dir and import path when ""
    std::string home;
};

// From a document's "environment" (GOMOD, GOROOT, GOMODCACHE when present)
// and $HOME.
KeyRoots key_roots_from_env(const nlohmann::ordered_json& env);

// A record's chunks (as inputs_by_action stores them) in portable form.
// import_path: the package's, to find the module cache's root in its dir.
nlohmann::ordered_json portable_key_inputs(const std::vector<std::string>& chunks, std::string_view import_path,
                                           KeyRoots& roots);

// Adds "key_inputs" to every package of doc (a report document) whose
// action_id has a record in inputs (inputs_by_action's map), normalising
// against the document's environment. The one call the wrapper makes.
void attach_key_inputs(nlohmann::ordered_json& doc, const std::map<std::string, std::string>& inputs);

// One input read back from a document.
struct KeyInput {
    std::string kind, key, digest, value;
    bool has_value = false;
};
// A package's "key_inputs" read back; empty when absent or malformed.
std::vector<KeyInput> key_inputs_from_json(const nlohmann::json& v);

// The first 16 hex digits of the SHA-256 of s.
std::string short_digest(std::string_view s);

} // namespace gox::analysis
