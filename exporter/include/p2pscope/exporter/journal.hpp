// SPDX-License-Identifier: GPL-2.0-or-later
// The journal: every completed result is appended here, and made durable,
// before it is exposed; at start it is replayed. One record per line:
//
//   P2J1 <payload length> <crc32 of payload, 8 hex digits> <payload: one line of JSON>\n
//
// A record torn by a crash (short, no newline, wrong length or checksum) is
// detected and dropped, as is a corrupt one; the file is then rewritten
// without it. The file is bounded: past max_bytes it is compacted to the
// latest record of each key (which carries that key's totals), written to a
// temporary file, fsync'd and renamed over the journal.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "p2pscope/exporter/record.hpp"
#include "p2pscope/exporter/snapshot.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

inline constexpr uint64_t kJournalMinBytes = 16 * 1024;
inline constexpr uint64_t kJournalMaxRecordBytes = 1 << 20;  // longer lines are corrupt by definition

// Framing, exposed for tests.
std::string frame_record(std::string_view payload);
struct ParsedJournal {
    std::vector<std::string> payloads;  // valid records, in file order
    uint64_t dropped = 0;               // torn or corrupt records
};
ParsedJournal parse_journal(std::string_view data);
// The bytes of the journal at PATH ("" when there is none yet). Refused: what
// is not a regular file (a FIFO would block), and a non-empty file that holds
// no record and does not start like one (opening would rewrite it).
Result<std::string> read_journal_file(const std::string& path);

struct JournalOptions {
    std::string path;
    uint64_t max_bytes = 1 << 20;
};

class Journal {
public:
    // Opens (or creates) the journal, replays it and rewrites it compacted.
    // `keep` says whether a replayed record still belongs to the
    // configuration; `latest` receives the latest kept record of each key.
    static Result<std::unique_ptr<Journal>> open(const JournalOptions& options,
                                                 const std::function<bool(const MeasurementRecord&)>& keep,
                                                 std::vector<MeasurementRecord>& latest);
    ~Journal();
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Appends one record and fdatasync()s it; compacts when the file outgrew
    // its bound. The record's seq must come from next_seq().
    Status append(const MeasurementRecord& record);
    uint64_t next_seq() const { return next_seq_; }
    const JournalStats& stats() const { return stats_; }
    const std::string& path() const { return options_.path; }

private:
    explicit Journal(JournalOptions options) : options_(std::move(options)) {}
    Status rewrite();  // the latest record of each key, atomically
    Status open_for_append();

    JournalOptions options_;
    int fd_ = -1;
    uint64_t next_seq_ = 1;
    uint64_t compacted_bytes_ = 0;            // size right after the last rewrite
    std::map<std::string, std::pair<uint64_t, std::string>> latest_lines_;  // key -> seq, framed record
    JournalStats stats_;
};

}  // namespace p2pscope::exporter
