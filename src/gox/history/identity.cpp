#include <gox/history/identity.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace gox::history {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string first_line(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

} // namespace

std::string git_branch(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (fs::path d = fs::absolute(dir, ec); !d.empty(); d = d.parent_path()) {
        fs::path git = d / ".git";
        fs::path head;
        if (fs::is_directory(git, ec)) {
            head = git / "HEAD";
        } else if (fs::is_regular_file(git, ec)) { // a worktree or submodule: "gitdir: PATH"
            std::string line = first_line(git);
            if (line.rfind("gitdir: ", 0) != 0) return "";
            fs::path gd = line.substr(8);
            head = (gd.is_absolute() ? gd : d / gd) / "HEAD";
        }
        if (!head.empty()) {
            std::string ref = first_line(head);
            const std::string prefix = "ref: refs/heads/";
            return ref.rfind(prefix, 0) == 0 ? ref.substr(prefix.size()) : "";
        }
        if (d == d.parent_path()) break;
    }
    return "";
}

Identity identity_from_env(const std::string& dir) {
    Identity id;
    auto join = [](std::string a, const std::string& sep, const std::string& b) {
        if (a.empty() || b.empty()) return a.empty() ? b : a;
        return a + sep + b;
    };
    if (!env("GITHUB_ACTIONS").empty()) {
        id.job = join(env("GITHUB_WORKFLOW"), "/", env("GITHUB_JOB"));
        id.job_id = join(env("GITHUB_RUN_ID"), ".", env("GITHUB_RUN_ATTEMPT"));
        id.branch = env("GITHUB_HEAD_REF").empty() ? env("GITHUB_REF_NAME") : env("GITHUB_HEAD_REF");
    } else if (!env("GITLAB_CI").empty() || !env("CI_JOB_ID").empty()) {
        id.job = env("CI_JOB_NAME");
        id.job_id = env("CI_JOB_ID");
        id.branch = env("CI_COMMIT_REF_NAME");
    } else if (!env("BUILDKITE").empty()) {
        id.job = env("BUILDKITE_LABEL");
        id.job_id = env("BUILDKITE_JOB_ID");
        id.branch = env("BUILDKITE_BRANCH");
    } else if (!env("CIRCLECI").empty()) {
        id.job = env("CIRCLE_JOB");
        id.job_id = env("CIRCLE_WORKFLOW_JOB_ID");
        id.branch = env("CIRCLE_BRANCH");
    } else if (!env("JENKINS_URL").empty()) {
        id.job = env("JOB_NAME");
        id.job_id = env("BUILD_TAG");
        id.branch = env("BRANCH_NAME").empty() ? env("GIT_BRANCH") : env("BRANCH_NAME");
    }
    if (const char* j = std::getenv("GOX_JOB")) id.job = j;
    if (const char* j = std::getenv("GOX_JOB_ID")) id.job_id = j;
    if (const char* b = std::getenv("GOX_BRANCH")) id.branch = b;
    if (id.branch.empty()) id.branch = git_branch(dir);
    id.host = env("GOX_HOST");
    if (id.host.empty()) {
        char name[256] = {};
        if (::gethostname(name, sizeof name - 1) == 0) id.host = name;
    }
    return id;
}

} // namespace gox::history
