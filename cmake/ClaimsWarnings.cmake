# Warnings and sanitizers as INTERFACE targets, linked PRIVATE by our own targets only, so
# generated code and third-party headers are not held to them.
add_library(claims_warnings INTERFACE)
target_compile_options(claims_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wconversion -Wsign-conversion -Wimplicit-fallthrough -Wsuggest-override)

add_library(claims_sanitizers INTERFACE)
if(CLAIMS_SANITIZE)
  # vptr checks need the typeinfo of every polymorphic class used, and Debian's SOCI does not
  # export it for its internal statement classes (the link fails), so that one check is off.
  target_compile_options(claims_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(claims_sanitizers INTERFACE -fsanitize=address,undefined -fno-sanitize=vptr)
endif()

add_library(claims_options INTERFACE)
target_link_libraries(claims_options INTERFACE claims_warnings claims_sanitizers)
