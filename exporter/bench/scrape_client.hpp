// SPDX-License-Identifier: GPL-2.0-or-later
// A minimal HTTP/1.1 client for loopback scrapes, and a child p2pscoped
// process: what the benchmark and the tests share. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace p2pscope::scrape {

struct Response {
    int status = 0;          // 0: no valid response (see error)
    std::string headers;     // the head, status line included
    std::string body;
    std::string error;
    bool ok() const { return error.empty() && status == 200; }
};

inline int connect_loopback(int port, double timeout_s, std::string& error) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    timeval tv{static_cast<time_t>(timeout_s), static_cast<suseconds_t>((timeout_s - static_cast<double>(static_cast<time_t>(timeout_s))) * 1e6)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        error = std::string("connect: ") + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool send_all(int fd, const std::string& data, std::string& error) {
    size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            error = std::string("send: ") + std::strerror(errno);
            return false;
        }
        off += static_cast<size_t>(n);
    }
    return true;
}

// Reads until the server closes; checks the status line and Content-Length.
inline Response read_response(int fd) {
    Response r;
    std::string data;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            r.error = std::string("recv: ") + std::strerror(errno);
            return r;
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > (256u << 20)) {
            r.error = "response larger than 256 MiB";
            return r;
        }
    }
    const auto end = data.find("\r\n\r\n");
    if (end == std::string::npos || data.rfind("HTTP/1.", 0) != 0) {
        r.error = "no HTTP response head (" + std::to_string(data.size()) + " bytes)";
        return r;
    }
    r.headers = data.substr(0, end + 2);
    r.body = data.substr(end + 4);
    r.status = std::atoi(data.c_str() + 9);
    std::string lower = r.headers;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
        const unsigned long long len = std::strtoull(lower.c_str() + p + 17, nullptr, 10);
        if (len != r.body.size())
            r.error = "body of " + std::to_string(r.body.size()) + " bytes, Content-Length " + std::to_string(len);
    }
    return r;
}

inline Response request(int port, const std::string& raw, double timeout_s = 10) {
    Response r;
    const int fd = connect_loopback(port, timeout_s, r.error);
    if (fd < 0) return r;
    if (!send_all(fd, raw, r.error)) {
        ::close(fd);
        return r;
    }
    r = read_response(fd);
    ::close(fd);
    return r;
}

inline Response get(int port, const std::string& path, double timeout_s = 10) {
    return request(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout_s);
}

// VmRSS and VmHWM of a process in bytes (0 if unknown).
inline std::pair<uint64_t, uint64_t> rss_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    uint64_t rss = 0, hwm = 0;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) rss = std::stoull(line.substr(6)) * 1024;
        if (line.rfind("VmHWM:", 0) == 0) hwm = std::stoull(line.substr(6)) * 1024;
    }
    return {rss, hwm};
}

// p2pscoped as a child process, stderr to a file, listening on a port it
// picked itself (--listen 127.0.0.1:0) and announced on stderr.
class Daemon {
public:
    Daemon(const std::string& binary, std::vector<std::string> args, const std::string& log_path) : log_(log_path) {
        args.insert(args.begin(), binary);
        bool has_listen = false;
        for (const auto& a : args) has_listen |= a == "--listen";
        if (!has_listen) {
            args.push_back("--listen");
            args.push_back("127.0.0.1:0");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 2);
                ::dup2(fd, 1);
            }
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Daemon() { kill(SIGKILL); }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    pid_t pid() const { return pid_; }

    // Waits (bounded) for "listening on ADDR:PORT" in the log; 0 if it never came.
    int wait_port(double timeout_s = 20) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (std::chrono::steady_clock::now() < until) {
            std::ifstream in(log_);
            std::string line;
            while (std::getline(in, line)) {
                const auto p = line.find("listening on ");
                if (p == std::string::npos) continue;
                const auto colon = line.find(':', line.find("127.0.0.1", p));
                if (colon != std::string::npos) return port_ = std::atoi(line.c_str() + colon + 1);
            }
            if (exited()) return 0;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return 0;
    }
    int port() const { return port_; }

    bool exited() {
        if (pid_ <= 0) return true;
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
            status_ = st;
            pid_ = -1;
            return true;
        }
        return false;
    }

    // Sends sig and reaps the child (bounded); returns its wait status.
    int kill(int sig, double timeout_s = 30) {
        if (pid_ <= 0) return status_;
        ::kill(pid_, sig);
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (!exited()) {
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status_, 0);
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return status_;
    }

    std::string log() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    std::string log_;
    pid_t pid_ = -1;
    int port_ = 0;
    int status_ = 0;
};

}  // namespace p2pscope::scrape
