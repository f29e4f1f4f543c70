# google/rpc/*.proto are not packaged by Debian. They come from the npm package
# google-proto-files (Apache-2.0), unpacked into the build tree at configure time, and are
# compiled once into googleapis_rpc_proto. CLAIMS_GOOGLEAPIS_DIR points elsewhere if preferred.
set(CLAIMS_GOOGLE_PROTO_FILES_VERSION 5.0.3)
set(CLAIMS_GOOGLEAPIS_DIR "" CACHE PATH "Directory holding google/rpc/*.proto")

set(_gapis_root ${CMAKE_BINARY_DIR}/_deps/googleapis)
if(NOT EXISTS ${_gapis_root}/google/rpc/status.proto)
  set(_src ${CLAIMS_GOOGLEAPIS_DIR})
  if(NOT _src)
    set(_npm_dir ${CMAKE_BINARY_DIR}/_deps/google-proto-files)
    file(MAKE_DIRECTORY ${_npm_dir})
    find_program(NPM_PROGRAM npm REQUIRED)
    set(_tgz ${_npm_dir}/google-proto-files-${CLAIMS_GOOGLE_PROTO_FILES_VERSION}.tgz)
    if(NOT EXISTS ${_tgz})
      execute_process(
        COMMAND ${NPM_PROGRAM} pack --silent google-proto-files@${CLAIMS_GOOGLE_PROTO_FILES_VERSION}
        WORKING_DIRECTORY ${_npm_dir} RESULT_VARIABLE _rc)
      if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "npm pack google-proto-files@${CLAIMS_GOOGLE_PROTO_FILES_VERSION} failed")
      endif()
    endif()
    file(ARCHIVE_EXTRACT INPUT ${_tgz} DESTINATION ${_npm_dir}
         PATTERNS package/google/rpc/status.proto package/google/rpc/error_details.proto
                  package/google/rpc/code.proto)
    set(_src ${_npm_dir}/package)
  endif()
  foreach(_p status error_details code)
    file(COPY ${_src}/google/rpc/${_p}.proto DESTINATION ${_gapis_root}/google/rpc)
  endforeach()
endif()
# protobuf_generate names outputs relative to the calling CMakeLists.txt, so the import root
# needs a CMakeLists.txt of its own.
configure_file(${CMAKE_CURRENT_LIST_DIR}/googleapis_rpc.CMakeLists.txt
               ${_gapis_root}/CMakeLists.txt COPYONLY)
add_subdirectory(${_gapis_root} ${CMAKE_BINARY_DIR}/googleapis_build)
