#pragma once

namespace claims::server {

// What was built: the project version (CMake) and the git commit the build came from
// ("unknown" outside a git checkout unless CLAIMS_GIT_COMMIT was given to CMake).
const char* BuildVersion();
const char* BuildCommit();

}  // namespace claims::server
