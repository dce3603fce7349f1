// The shared formatting and I/O helpers: one definition each, used by every part.
#include "common/text.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/byte_size.h"
#include "common/fd_io.h"

using namespace tsuku;

TEST(Text, TrimTakesEveryKindOfWhitespaceFromBothEnds) {
    EXPECT_EQ(trim("  a b \t\r\n"), "a b");
    EXPECT_EQ(trim("\f\vx"), "x");
    EXPECT_EQ(trim(" \n\t "), "");
    EXPECT_EQ(trim(""), "");
}

TEST(Text, ListsAreJoinedWithoutALeadingSeparator) {
    std::string list;
    append_listed(list, ", ", "a");
    append_listed(list, ", ", "b");
    EXPECT_EQ(list, "a, b");
    EXPECT_EQ(join({"x", "y", "z"}, ":"), "x:y:z");
    EXPECT_EQ(join({}, ", "), "");
    EXPECT_EQ(join({"only"}, ", "), "only");
}

TEST(ByteFormats, EachFormatKeepsItsUnits) {
    EXPECT_EQ(format_memory(512ull << 20), "512 MiB");
    EXPECT_EQ(format_memory(2ull << 30), "2.0 GiB");
    EXPECT_EQ(format_memory(2ull << 30, 10ull << 30), "2048 MiB");  // model sizes switch to GiB later
    EXPECT_EQ(format_mib_rounded((525ull << 20) + (1 << 19)), "526 MiB");
    EXPECT_EQ(format_mib_rounded((525ull << 20) + (1 << 19) - 1), "525 MiB");
    EXPECT_EQ(format_mib_decimal(18454937), "17.6 MiB");
    EXPECT_EQ(format_si_bytes(999), "999 B");
    EXPECT_EQ(format_si_bytes(1'500'000), "1.5 MB");
}

TEST(FdIo, WriteAllWritesEverythingOrSaysWhyNot) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const std::string data(10000, 'x');  // more than one write may take on some pipes: partial writes continue
    EXPECT_EQ(write_all(fds[1], data), 0);
    ::close(fds[1]);
    std::string back;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) back.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    EXPECT_EQ(back, data);

    const int ro = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(ro, 0);
    EXPECT_EQ(write_all(ro, "x"), EBADF);  // not open for writing: the errno, not a silent success
    ::close(ro);
}
