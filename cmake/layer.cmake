# The GLU layer (src/layer): built into the glukit libraries only when a
# CBLAS is found; the rest of glukit never needs BLAS. Included at the end
# of the top-level CMakeLists.txt.
option(GLUKIT_BUILD_LAYER "Build the GLU layer when a CBLAS is found" ON)
set(GLUKIT_HAVE_LAYER OFF)
if(NOT GLUKIT_BUILD_LAYER)
  return()
endif()

# Debian's libopenblas-dev: pkg-config gives the directory of its cblas.h.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(GLUKIT_OPENBLAS QUIET openblas)
endif()
find_path(GLUKIT_CBLAS_INCLUDE_DIR cblas.h
  HINTS ${GLUKIT_OPENBLAS_INCLUDE_DIRS}
  PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread)
find_library(GLUKIT_CBLAS_LIBRARY NAMES openblas cblas blas
  HINTS ${GLUKIT_OPENBLAS_LIBRARY_DIRS})
if(NOT GLUKIT_CBLAS_INCLUDE_DIR OR NOT GLUKIT_CBLAS_LIBRARY)
  message(STATUS "glukit: no CBLAS found, the GLU layer is not built "
                 "(apt-get install libopenblas-dev)")
  return()
endif()
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${GLUKIT_CBLAS_INCLUDE_DIR})
set(CMAKE_REQUIRED_LIBRARIES ${GLUKIT_CBLAS_LIBRARY})
check_symbol_exists(cblas_sgemm cblas.h GLUKIT_HAVE_CBLAS_SGEMM)
check_symbol_exists(openblas_set_num_threads cblas.h GLUKIT_HAVE_OPENBLAS_THREADS)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT GLUKIT_HAVE_CBLAS_SGEMM)
  message(STATUS "glukit: ${GLUKIT_CBLAS_LIBRARY} has no cblas_sgemm, "
                 "the GLU layer is not built")
  return()
endif()
set(GLUKIT_HAVE_LAYER ON)
# The library's file name, linked by name so that the exported targets and
# glukit.pc carry no path of this machine.
get_filename_component(GLUKIT_CBLAS_NAME ${GLUKIT_CBLAS_LIBRARY} NAME_WE)
string(REGEX REPLACE "^lib" "" GLUKIT_CBLAS_NAME ${GLUKIT_CBLAS_NAME})
message(STATUS "glukit: GLU layer on ${GLUKIT_CBLAS_LIBRARY} "
               "(cblas.h in ${GLUKIT_CBLAS_INCLUDE_DIR})")

target_sources(glukit_objects PRIVATE
  ${PROJECT_SOURCE_DIR}/src/layer/blas_mat.c
  ${PROJECT_SOURCE_DIR}/src/layer/glu_layer.c
  ${PROJECT_SOURCE_DIR}/src/layer/layer_plan.c)
# Only blas_mat.c includes cblas.h.
set_source_files_properties(${PROJECT_SOURCE_DIR}/src/layer/blas_mat.c
  PROPERTIES INCLUDE_DIRECTORIES ${GLUKIT_CBLAS_INCLUDE_DIR})
get_filename_component(GLUKIT_CBLAS_DIR ${GLUKIT_CBLAS_LIBRARY} DIRECTORY)
foreach(lib glukit glukit_static)
  target_link_libraries(${lib} PRIVATE ${GLUKIT_CBLAS_NAME})
  target_link_directories(${lib} PRIVATE ${GLUKIT_CBLAS_DIR})
endforeach()

# Static consumers of glukit.pc need the BLAS too: glukit.pc.in may name
# @GLUKIT_PC_LAYER_LIBS@ in Libs.private; it is configured again here, now
# that the value is known (without the placeholder the file is unchanged).
set(GLUKIT_PC_LAYER_LIBS "-l${GLUKIT_CBLAS_NAME}")
if(DEFINED GLUKIT_PC_TO_PREFIX)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/glukit.pc.in
                 ${PROJECT_BINARY_DIR}/glukit.pc @ONLY)
endif()

foreach(dir bench/layer examples/digits tests/layer)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${dir}/CMakeLists.txt)
    add_subdirectory(${dir})
  endif()
endforeach()
