#pragma once
// Who runs this build, for a history that many machines share: the host
// name, the CI job and its run id where the CI system gives them, and the
// branch. Read from the environment and .git only (no process started).
//
//   CI system       job (its name)                   job id                               branch
//   GitHub Actions  GITHUB_WORKFLOW/GITHUB_JOB       GITHUB_RUN_ID.GITHUB_RUN_ATTEMPT     GITHUB_HEAD_REF, else GITHUB_REF_NAME
//   GitLab CI       CI_JOB_NAME                      CI_JOB_ID                            CI_COMMIT_REF_NAME
//   Buildkite       BUILDKITE_LABEL                  BUILDKITE_JOB_ID                     BUILDKITE_BRANCH
//   CircleCI        CIRCLE_JOB                       CIRCLE_WORKFLOW_JOB_ID               CIRCLE_BRANCH
//   Jenkins         JOB_NAME                         BUILD_TAG                            BRANCH_NAME, else GIT_BRANCH
// Elsewhere the job is "" and the branch is read from the checkout's .git
// (HEAD naming refs/heads/B). GOX_JOB, GOX_JOB_ID and GOX_BRANCH override
// all of them; the host is GOX_HOST, else the host name.

#include <string>

namespace gox::history {

struct Identity {
    std::string host, job, job_id, branch;
};

// dir: where go ran (the .git above it names the branch).
Identity identity_from_env(const std::string& dir);

// The branch named by the .git at or above dir; "" for a detached HEAD or none.
std::string git_branch(const std::string& dir);

} // namespace gox::history
