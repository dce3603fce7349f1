# Cross-compiling for linux-arm64 on Debian 12 amd64 with Debian's multiarch packages (no sysroot):
#   apt-get install g++-aarch64-linux-gnu qemu-user-static + the :arm64 packages of scripts/debian-packages-arm64.txt
# (scripts/install-deps.sh --arm64 does it). Target libraries live in /usr/lib/aarch64-linux-gnu; header-only
# packages in /usr/include serve both architectures. protoc and grpc_cpp_plugin run on the build machine, so they are
# the native amd64 ones. Used by `cmake --preset linux-arm64`.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Programs (protoc, grpc_cpp_plugin) come from the build machine; libraries and package configs only from the
# target's multiarch folders, never the amd64 ones.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# Running a target program (gtest discovery, the emulated tests): user-mode QEMU, no binfmt registration needed.
find_program(TSUKU_QEMU_AARCH64 qemu-aarch64-static)
if(TSUKU_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TSUKU_QEMU_AARCH64}")
endif()
