# Debian's libsoci-dev ships neither a CMake config nor a pkg-config file.
# Provides SOCI::core, SOCI::mysql and SOCI::sqlite3.
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
find_library(SOCI_MYSQL_LIBRARY soci_mysql)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3)

find_package(PkgConfig REQUIRED)
# soci-mysql.h includes <mysql.h>, which lives in /usr/include/mariadb.
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
find_package(SQLite3 REQUIRED)
# soci-config.h defines SOCI_HAVE_BOOST, so its headers pull in boost/fusion.
find_package(Boost REQUIRED)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI
  REQUIRED_VARS SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_MYSQL_LIBRARY SOCI_SQLITE3_LIBRARY)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES
    IMPORTED_LOCATION ${SOCI_CORE_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${SOCI_INCLUDE_DIR})
  target_link_libraries(SOCI::core INTERFACE Boost::headers ${CMAKE_DL_LIBS})
  add_library(SOCI::mysql UNKNOWN IMPORTED)
  set_target_properties(SOCI::mysql PROPERTIES IMPORTED_LOCATION ${SOCI_MYSQL_LIBRARY})
  target_link_libraries(SOCI::mysql INTERFACE SOCI::core PkgConfig::MARIADB)
  add_library(SOCI::sqlite3 UNKNOWN IMPORTED)
  set_target_properties(SOCI::sqlite3 PROPERTIES IMPORTED_LOCATION ${SOCI_SQLITE3_LIBRARY})
  target_link_libraries(SOCI::sqlite3 INTERFACE SOCI::core SQLite::SQLite3)
endif()
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_MYSQL_LIBRARY SOCI_SQLITE3_LIBRARY)
