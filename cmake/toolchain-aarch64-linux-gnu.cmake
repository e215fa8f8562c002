# Cross build for AArch64 with Debian's gcc-aarch64-linux-gnu; tests run
# under qemu-aarch64 (Debian qemu-user), with arm64 packages from multiarch.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
# Only the arm64 pkg-config files (cmocka), never the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# The arm64 loader and libraries of the multiarch libc6:arm64 (-L /): with
# the cross sysroot's loader instead, threaded programs hang under qemu 7.2.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/)
