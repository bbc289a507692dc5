// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <filesystem>

#include "p2pscope/input_file.hpp"

namespace p2pscope::exporter {

namespace {

constexpr std::string_view kMagic = "P2J1 ";
constexpr uint64_t kMaxReadBytes = 1ULL << 30;

uint32_t crc32_of(std::string_view data) {
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib takes uInt lengths: records are far below 4 GiB.
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    return static_cast<uint32_t>(crc);
}

Error sys_error(const std::string& what) { return make_error(Errc::system, what + ": " + std::strerror(errno)); }

// "P2J1 <len> <crc8> <payload>" without the newline.
bool parse_line(std::string_view line, std::string_view& payload) {
    if (line.substr(0, kMagic.size()) != kMagic) return false;
    line.remove_prefix(kMagic.size());
    uint64_t len = 0;
    size_t i = 0;
    while (i < line.size() && i < 8 && line[i] >= '0' && line[i] <= '9') len = len * 10 + static_cast<uint64_t>(line[i++] - '0');
    if (i == 0 || i >= line.size() || line[i] != ' ' || len > kJournalMaxRecordBytes) return false;
    line.remove_prefix(i + 1);
    if (line.size() < 9 || line[8] != ' ') return false;
    uint32_t crc = 0;
    for (size_t k = 0; k < 8; ++k) {
        const char c = line[k];
        uint32_t v;
        if (c >= '0' && c <= '9') v = static_cast<uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f') v = static_cast<uint32_t>(c - 'a' + 10);
        else return false;
        crc = crc << 4 | v;
    }
    line.remove_prefix(9);
    if (line.size() != len || crc32_of(line) != crc) return false;
    payload = line;
    return true;
}

Status write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error(what);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok{};
}

Status sync_directory_of(const std::string& path) {
    auto dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_error(dir.string());
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0) return sys_error("fsync " + dir.string());
    return Ok{};
}

}  // namespace

Result<std::string> read_journal_file(const std::string& path) {
    // Regular files only, opened without blocking: a FIFO must not hang the daemon.
    auto data = read_input_file(path, kMaxReadBytes, "a p2pscoped journal");
    if (!data && data.error().code == Errc::not_found) return std::string();
    if (!data) return data.error();
    // A file that is not a journal (a README named by mistake) is left alone:
    // the journal is rewritten on open, and that would erase it.
    if (!data->empty() && data->compare(0, kMagic.size(), kMagic) != 0 && parse_journal(*data).payloads.empty())
        return make_error(Errc::bad_input, path + ": " + std::to_string(data->size()) +
                                               " bytes that hold no p2pscoped journal record: not a journal, left as "
                                               "it is (name another journal.path, or remove the file)");
    return data;
}

std::string frame_record(std::string_view payload) {
    char head[40];
    std::snprintf(head, sizeof head, "P2J1 %zu %08x ", payload.size(), crc32_of(payload));
    std::string out(head);
    out.append(payload);
    out.push_back('\n');
    return out;
}

ParsedJournal parse_journal(std::string_view data) {
    ParsedJournal out;
    size_t pos = 0;
    while (pos < data.size()) {
        const size_t nl = data.find('\n', pos);
        if (nl == std::string_view::npos) {  // torn: the last record never got its newline
            ++out.dropped;
            break;
        }
        std::string_view payload;
        if (parse_line(data.substr(pos, nl - pos), payload)) out.payloads.emplace_back(payload);
        else ++out.dropped;
        pos = nl + 1;
    }
    return out;
}

Result<std::unique_ptr<Journal>> Journal::open(const JournalOptions& options,
                                               const std::function<bool(const MeasurementRecord&)>& keep,
                                               std::vector<MeasurementRecord>& latest) {
    latest.clear();
    if (options.path.empty()) return make_error(Errc::invalid_argument, "journal: no path");
    std::unique_ptr<Journal> j(new Journal(options));
    std::error_code ec;
    const auto dir = std::filesystem::path(options.path).parent_path();
    if (!dir.empty()) {
        std::filesystem::create_directories(dir, ec);
        if (ec) return make_error(Errc::system, "journal directory " + dir.string() + ": " + ec.message());
    }
    // A compaction that a crash interrupted left its temporary file: the
    // journal itself is intact (rename is atomic), the temporary is garbage.
    ::unlink((options.path + ".tmp").c_str());

    auto data = read_journal_file(options.path);
    if (!data) return data.error();
    auto parsed = parse_journal(*data);
    std::map<std::string, MeasurementRecord> by_key;
    std::map<std::string, std::string> payload_by_key;
    for (const auto& payload : parsed.payloads) {
        auto r = from_journal_json(payload);
        if (!r) {  // a valid checksum over content this version cannot read
            ++parsed.dropped;
            continue;
        }
        ++j->stats_.replayed;
        j->next_seq_ = std::max(j->next_seq_, r->seq + 1);
        auto it = by_key.find(r->key);
        if (it == by_key.end() || it->second.seq < r->seq) {
            payload_by_key[r->key] = payload;
            by_key[r->key] = std::move(*r);
        }
    }
    j->stats_.dropped = parsed.dropped;
    for (auto& [key, record] : by_key) {
        if (!keep(record)) continue;
        j->latest_lines_[key] = {record.seq, frame_record(payload_by_key[key])};
        latest.push_back(std::move(record));
    }
    std::sort(latest.begin(), latest.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    j->stats_.enabled = true;
    if (auto s = j->rewrite(); !s) return s.error();
    return j;
}

Journal::~Journal() {
    if (fd_ >= 0) ::close(fd_);
}

Status Journal::open_for_append() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) return sys_error("journal " + options_.path);
    return Ok{};
}

Status Journal::rewrite() {
    const std::string tmp = options_.path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return sys_error("journal " + tmp);
    // Oldest first, so the file reads in the order things happened.
    std::vector<const std::pair<uint64_t, std::string>*> lines;
    for (const auto& [key, entry] : latest_lines_) lines.push_back(&entry);
    std::sort(lines.begin(), lines.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string all;
    for (const auto* l : lines) all += l->second;
    const uint64_t size = all.size();
    auto s = write_all(fd, all, "journal " + tmp);
    if (s && ::fsync(fd) != 0) s = sys_error("fsync " + tmp);
    ::close(fd);
    if (s && ::rename(tmp.c_str(), options_.path.c_str()) != 0) s = sys_error("rename " + tmp);
    if (s) s = sync_directory_of(options_.path);
    if (!s) {
        ::unlink(tmp.c_str());
        return s;
    }
    compacted_bytes_ = size;
    stats_.size_bytes = size;
    stats_.records = latest_lines_.size();
    return open_for_append();
}

Status Journal::append(const MeasurementRecord& record) {
    const std::string line = frame_record(to_journal_json(record));
    if (line.size() > kJournalMaxRecordBytes) {
        ++stats_.write_errors;
        return make_error(Errc::system, "journal: record of " + record.key + " is larger than 1 MiB");
    }
    if (record.seq >= next_seq_) next_seq_ = record.seq + 1;
    if (fd_ < 0) {
        if (auto s = open_for_append(); !s) {
            ++stats_.write_errors;
            return s;
        }
    }
    auto s = write_all(fd_, line, "journal " + options_.path);
    if (s && ::fdatasync(fd_) != 0) s = sys_error("fdatasync " + options_.path);
    if (!s) {
        // Cut a partial record off so that the next one starts on a line of its own.
        if (::ftruncate(fd_, static_cast<off_t>(stats_.size_bytes)) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
        ++stats_.write_errors;
        return s;
    }
    latest_lines_[record.key] = {record.seq, line};
    stats_.size_bytes += line.size();
    ++stats_.records;
    // Bounded: past max_bytes (or twice what a compaction leaves, when one
    // record per key alone is near the bound) keep only the latest per key.
    if (stats_.size_bytes > std::max(options_.max_bytes, 2 * compacted_bytes_)) {
        if (auto c = rewrite(); !c) {
            ++stats_.write_errors;
            return make_error(c.error().code, "journal compaction: " + c.error().message);
        }
        ++stats_.compactions;
    }
    return Ok{};
}

}  // namespace p2pscope::exporter
