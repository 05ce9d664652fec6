#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/options.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace gox::cli {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// po refuses `--name=` ("should follow immediately after the equal sign").
// gox hands the empty value to the command, which has always judged it
// itself (`--go=` is the default go, `report --output=` standard output,
// `--summary=` an error of its own).
std::vector<po::option> empty_value(std::vector<std::string>& args) {
    const std::string& a = args.front();
    if (a.size() < 4 || a.compare(0, 2, "--") != 0 || a.find('=') != a.size() - 1) return {};
    po::option o;
    o.string_key = a.substr(2, a.size() - 3);
    o.value.emplace_back();
    o.original_tokens.push_back(a);
    args.erase(args.begin());
    return {o};
}

[[noreturn]] void fail(const CommandSpec& spec, const std::string& msg, const std::string& hint = "") {
    usage_error(spec.name.empty() ? msg : spec.name + ": " + msg, hint);
}

po::options_description all_of(const CommandSpec& spec) {
    po::options_description all;
    all.add(spec.options).add(spec.hidden);
    all.add_options()(kPositional, po::value<std::vector<std::string>>()->composing());
    return all;
}

// po's syntax errors in gox's words: `--summary needs a value: --summary=stderr|off|FILE`.
std::string message_for(const po::error& e, const po::options_description& all) {
    const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&e);
    if (!syntax) return e.what();
    std::string name = syntax->get_option_name();
    if (syntax->kind() == po::invalid_command_line_syntax::extra_parameter) return name + " takes no value";
    if (syntax->kind() == po::invalid_command_line_syntax::missing_parameter) {
        const auto* d = all.find_nothrow(name.substr(name.find_first_not_of('-')), false);
        return d ? fmt::format("{} needs a value: {}={}", name, name, d->semantic()->name()) : name + " needs a value";
    }
    return e.what();
}

po::parsed_options run_parser(const CommandSpec& spec, const po::options_description& all, const std::vector<std::string>& args) {
    po::positional_options_description pos;
    pos.add(kPositional, -1);
    auto parse = [&](const std::vector<std::string>& part) {
        return po::command_line_parser(part).options(all).positional(pos).style(spec.style).extra_style_parser(empty_value).allow_unregistered().run();
    };
    try {
        if (!spec.one_argument_each) return parse(args);
        po::parsed_options parsed(&all);
        for (const auto& a : args)
            for (auto& o : parse({a}).options) parsed.options.push_back(std::move(o));
        return parsed;
    } catch (const po::error& e) {
        fail(spec, message_for(e, all));
    }
}

bool asks_help(const po::parsed_options& parsed) {
    return std::any_of(parsed.options.begin(), parsed.options.end(), [](const po::option& o) { return o.string_key == "help"; });
}

void reject_unknown(const CommandSpec& spec, const po::parsed_options& parsed) {
    for (const auto& o : parsed.options) {
        if (!o.unregistered) continue;
        std::string arg = o.original_tokens.empty() ? "--" + o.string_key : o.original_tokens.front();
        std::string s = suggest_option(spec.options, arg);
        fail(spec, "unknown option " + arg, s.empty() ? fmt::format("Run '{}' for usage.", spec.help_cmd) : "Did you mean " + s + "?");
    }
}

// Appends `words` to out, wrapped at 80 columns with continuation lines
// indented to `column`; out's last line is at `col`.
void wrap_words(std::string& out, std::size_t col, std::size_t column, std::string_view words) {
    bool first = true;
    while (!words.empty()) {
        auto sp = words.find(' ');
        std::string_view w = words.substr(0, sp);
        words = sp == std::string_view::npos ? std::string_view() : words.substr(sp + 1);
        if (!first && col + 1 + w.size() > 80) {
            out += "\n" + std::string(column, ' ');
            col = column;
            first = true;
        }
        if (!first) {
            out += ' ';
            ++col;
        }
        out += w;
        col += w.size();
        first = false;
    }
}

} // namespace

CommandSpec::CommandSpec(std::string name_, std::string usage_, std::string epilogue_, const char* help)
    : name(std::move(name_)), help_cmd("gox " + (name.empty() ? std::string("build") : name) + " --help"),
      usage(std::move(usage_)), epilogue(std::move(epilogue_)) {
    options.add_options()("help,h", help);
}

po::parsed_options parse_command_in_order(const CommandSpec& spec, const std::vector<std::string>& args) {
    auto all = all_of(spec);
    auto parsed = run_parser(spec, all, args);
    if (!asks_help(parsed)) reject_unknown(spec, parsed);
    return parsed;
}

po::variables_map parse_command(const CommandSpec& spec, const std::vector<std::string>& args) {
    auto all = all_of(spec);
    auto parsed = run_parser(spec, all, args);
    if (asks_help(parsed)) {
        std::string text = command_help(spec);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        std::exit(0);
    }
    reject_unknown(spec, parsed);
    // The last of a repeated option wins (po::store refuses a second value
    // for an option that holds one); those that collect values keep all.
    std::vector<po::option> kept;
    std::set<std::string> seen;
    for (auto it = parsed.options.rbegin(); it != parsed.options.rend(); ++it) {
        const auto* d = all.find_nothrow(it->string_key, false);
        if (d && !d->semantic()->is_composing() && !seen.insert(it->string_key).second) continue;
        kept.push_back(*it);
    }
    parsed.options.assign(kept.rbegin(), kept.rend());
    po::variables_map vm;
    try {
        po::store(parsed, vm);
        po::notify(vm);
    } catch (const po::error& e) {
        fail(spec, message_for(e, all));
    }
    return vm;
}

std::string format_options(const po::options_description& desc, std::size_t column) {
    std::string out;
    for (const auto& o : desc.options()) {
        std::string head = "  ";
        std::string shortname = o->canonical_display_name(po::command_line_style::allow_dash_for_short);
        if (shortname.size() == 2 && shortname[0] == '-') head += shortname + ", ";
        head += "--" + o->long_name();
        if (o->semantic()->max_tokens() > 0 && o->semantic()->min_tokens() == 0) head += "[=" + o->semantic()->name() + "]";
        else if (o->semantic()->max_tokens() > 0) head += "=" + o->semantic()->name();
        out += head;
        std::size_t col = head.size();
        if (col < column) {
            out += std::string(column - col, ' ');
        } else {
            out += "\n" + std::string(column, ' ');
        }
        wrap_words(out, column, column, o->description());
        out += "\n";
    }
    return out;
}

std::string command_help(const CommandSpec& spec) {
    // The descriptions start two columns after the longest head, at most at
    // 30 and at least at 17 (where gox --help's command list has them).
    std::size_t widest = 0;
    for (const auto& o : spec.options.options()) {
        std::size_t w = 2 + o->long_name().size() + 2 + (o->semantic()->max_tokens() > 0 ? 1 + o->semantic()->name().size() : 0);
        if (o->canonical_display_name(po::command_line_style::allow_dash_for_short).size() == 2) w += 4;
        if (w + 2 <= 30) widest = std::max(widest, w);
    }
    return spec.usage + "\nOptions:\n" + format_options(spec.options, std::max<std::size_t>(widest + 2, 17)) + spec.epilogue;
}

std::string suggest_option(const po::options_description& desc, std::string_view arg) {
    std::string_view word = arg.substr(0, arg.find('='));
    std::vector<std::string> names;
    for (const auto& o : desc.options())
        if (!o->long_name().empty()) names.push_back("--" + o->long_name());
    // The start of exactly one name: --verify for --verify-cache.
    if (word.size() >= 4 && word.substr(0, 2) == "--") {
        std::string only;
        int n = 0;
        for (const auto& c : names)
            if (c.compare(0, word.size(), word) == 0 && ++n == 1) only = c;
        if (n == 1) return only;
    }
    std::string best;
    std::size_t best_d = 3;
    for (const auto& c : names) {
        std::size_t d = edit_distance(word, c);
        if (d < best_d || (d == best_d && best.empty() && d <= c.size() / 2)) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

const WrapOptionDescriptions& wrap_options() {
    static const WrapOptionDescriptions d = [] {
        WrapOptionDescriptions w;
        for (const auto& o : kWrapOptions) {
            auto& group = o.group == OptionGroup::Failure ? w.failure : w.run;
            std::string name(o.name.substr(2)), help(o.help);
            if (o.value.empty()) group.add_options()(name.c_str(), po::bool_switch(), help.c_str());
            else if (o.value.front() == '[') // optional: --name or --name=value
                group.add_options()(name.c_str(),
                                    po::value<std::string>()->implicit_value("")->value_name(
                                        std::string(o.value.substr(1, o.value.size() - 2))),
                                    help.c_str());
            else group.add_options()(name.c_str(), po::value<std::string>()->value_name(std::string(o.value)), help.c_str());
        }
        w.all.add(w.run).add(w.failure);
        return w;
    }();
    return d;
}

} // namespace gox::cli
