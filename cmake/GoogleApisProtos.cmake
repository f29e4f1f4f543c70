# google/rpc/{status,error_details,code}.proto come from Debian's
# golang-github-gogo-googleapis-dev, which installs them as plain .proto files under
# /usr/share/gocode/src/github.com/gogo/googleapis. They are the googleapis files with
# `package google.rpc` and the same messages and field numbers; they import only
# google/protobuf/{any,duration}.proto (shipped by libprotobuf-dev) and carry no gogoproto
# options, so they are compiled as they are. Their snapshot predates two later additions that
# claimsd never sets (BadRequest.FieldViolation.reason/localized_message and QuotaFailure's
# quota fields); a client built from newer googleapis reads our details unchanged.
# The build never downloads anything: a missing package stops the configure step with the
# package name. CLAIMS_GOOGLEAPIS_DIR points at another copy with the same layout if wanted.
set(CLAIMS_GOOGLEAPIS_DIR ""
    CACHE PATH "Directory holding google/rpc/{status,error_details,code}.proto; empty: Debian's")
# Empty (also in a build tree configured before the protos came from Debian): Debian's copy.
set(_gapis_src "${CLAIMS_GOOGLEAPIS_DIR}")
if(NOT _gapis_src)
  set(_gapis_src "/usr/share/gocode/src/github.com/gogo/googleapis")
endif()

foreach(_p status error_details code)
  if(NOT EXISTS ${_gapis_src}/google/rpc/${_p}.proto)
    message(FATAL_ERROR
      "${_gapis_src}/google/rpc/${_p}.proto not found: install Debian's "
      "golang-github-gogo-googleapis-dev (scripts/install-deps.sh does), or set "
      "CLAIMS_GOOGLEAPIS_DIR to a directory holding google/rpc/*.proto")
  endif()
endforeach()

# protobuf_generate names outputs relative to the calling CMakeLists.txt, so the import root
# needs a CMakeLists.txt of its own: the three files are copied into the build tree beside it.
set(_gapis_root ${CMAKE_BINARY_DIR}/_deps/googleapis)
foreach(_p status error_details code)
  configure_file(${_gapis_src}/google/rpc/${_p}.proto
                 ${_gapis_root}/google/rpc/${_p}.proto COPYONLY)
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/googleapis_rpc.CMakeLists.txt
               ${_gapis_root}/CMakeLists.txt COPYONLY)
add_subdirectory(${_gapis_root} ${CMAKE_BINARY_DIR}/googleapis_build)
