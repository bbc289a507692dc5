// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace p2pscope {
namespace {

std::string size_text(size_t bytes) {
    if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

// What a non-regular file is, for the message.
const char* kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

Status check_stat(const std::string& path, const struct stat& st, size_t max_bytes, const std::string& what) {
    if (!S_ISREG(st.st_mode))
        return make_error(Errc::bad_input,
                          path + ": " + kind_of(st.st_mode) + ", not " + what + " (regular files only)");
    if (static_cast<unsigned long long>(st.st_size) > max_bytes)
        return make_error(Errc::bad_input, path + ": larger than " + size_text(max_bytes) + ", too large for " + what);
    return Ok{};
}

Error open_error(const std::string& path, int err, const std::string& what) {
    if (err == ENOENT) return make_error(Errc::not_found, path + ": no such file");
    return make_error(Errc::bad_input, path + ": cannot open " + what + " (" + std::strerror(err) + ")");
}

}  // namespace

Status check_input_file(const std::string& path, size_t max_bytes, const std::string& what) {
    if (path.find('\0') != std::string::npos) return make_error(Errc::bad_input, "a file name with a NUL byte");
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return open_error(path, errno, what);
    if (auto s = check_stat(path, st, max_bytes, what); !s) return s;
    if (::access(path.c_str(), R_OK) != 0) return open_error(path, errno, what);
    return Ok{};
}

Result<std::string> read_input_file(const std::string& path, size_t max_bytes, const std::string& what) {
    if (path.find('\0') != std::string::npos) return make_error(Errc::bad_input, "a file name with a NUL byte");
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the checks below refuse it.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return open_error(path, errno, what);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st{};
    if (::fstat(fd, &st) != 0) return make_error(Errc::bad_input, path + ": cannot stat (" + std::strerror(errno) + ")");
    if (auto s = check_stat(path, st, max_bytes, what); !s) return s.error();
    // The size may change while reading (a growing file): read to the bound,
    // no further. The buffer starts at the size stat gave (one byte more to
    // see growth) and doubles only when the file grew: a bound of 256 MiB
    // must not cost 256 MiB for a 1 KB file.
    const size_t limit = max_bytes + 1;
    std::string text;
    text.resize(std::min(limit, static_cast<size_t>(st.st_size) + 1));
    size_t got = 0;
    for (;;) {
        if (got == text.size()) {
            if (text.size() == limit) break;
            text.resize(std::min(limit, text.size() * 2));
        }
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(Errc::bad_input, path + ": cannot read (" + std::strerror(errno) + ")");
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    if (got > max_bytes)
        return make_error(Errc::bad_input, path + ": larger than " + size_text(max_bytes) + ", too large for " + what);
    text.resize(got);
    return text;
}

}  // namespace p2pscope
