// SPDX-License-Identifier: GPL-2.0-or-later
// The journal: checksummed records, a torn tail cut at every possible byte is
// detected and dropped without losing an earlier record, corruption is
// dropped, the file stays bounded, and replay restores each key's latest
// record with its totals.
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>
#include <fstream>

#include "helpers.hpp"
#include "p2pscope/exporter/journal.hpp"

namespace p2pscope::exporter {
namespace {

MeasurementRecord record(const std::string& key, uint64_t seq, Outcome status, const std::string& reason = "") {
    MeasurementRecord r;
    r.key = key;
    r.kind = MeasurementKind::map;
    r.seq = seq;
    r.started_unix_s = 1700000000.0 + static_cast<double>(seq);
    r.finished_unix_s = r.started_unix_s + 0.5;
    r.duration_s = 0.5;
    r.status = status;
    r.reason = reason;
    r.result = {{"device", "0000:34:00.0"}, {"api", "map_single"}, {"memory", "ram"}};
    if (status == Outcome::ok) {
        r.result["map"] = latency_json(LatencyFigures{1000, 100, 900, 150.5, 140, 200, 400, 800});
        r.result["unmap"] = latency_json(LatencyFigures{1000, 90, 800, 120.25, 110, 190, 300, 700});
    }
    r.totals.runs[static_cast<size_t>(status)] = seq;
    r.totals.map_samples = 1000 * seq;
    r.totals.map_sum_ns = 150500 * seq;
    derive_typed_views(r);
    return r;
}

TEST(Journal, RecordRoundTrip) {
    auto r = record("gpu0", 7, Outcome::ok);
    auto back = from_journal_json(to_journal_json(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->key, "gpu0");
    EXPECT_EQ(back->seq, 7u);
    EXPECT_EQ(back->status, Outcome::ok);
    EXPECT_EQ(back->totals.runs[0], 7u);
    EXPECT_EQ(back->totals.map_sum_ns, 150500u * 7);
    ASSERT_TRUE(back->map);
    EXPECT_EQ(back->map->api, "map_single");
    EXPECT_DOUBLE_EQ(back->map->map.p99_ns, 400);
    EXPECT_DOUBLE_EQ(back->map->unmap.mean_ns, 120.25);
    EXPECT_FALSE(from_journal_json("{\"seq\":1}"));
    EXPECT_FALSE(from_journal_json("not json"));
}

TEST(Journal, FramingDetectsEveryTornTail) {
    std::string file;
    std::vector<size_t> ends;
    for (uint64_t i = 1; i <= 3; ++i) {
        file += frame_record(to_journal_json(record("k" + std::to_string(i), i, Outcome::failed, "module not loaded")));
        ends.push_back(file.size());
    }
    // Cut the file at every byte: what is whole survives, the torn rest is dropped.
    for (size_t cut = 0; cut <= file.size(); ++cut) {
        const auto p = parse_journal(std::string_view(file).substr(0, cut));
        size_t whole = 0;
        while (whole < ends.size() && ends[whole] <= cut) ++whole;
        ASSERT_EQ(p.payloads.size(), whole) << "cut at " << cut;
        const bool torn = cut != 0 && std::find(ends.begin(), ends.end(), cut) == ends.end();
        ASSERT_EQ(p.dropped, torn ? 1u : 0u) << "cut at " << cut;
    }
}

TEST(Journal, FramingDropsCorruptRecords) {
    std::string a = frame_record(to_journal_json(record("a", 1, Outcome::ok)));
    std::string b = frame_record(to_journal_json(record("b", 2, Outcome::ok)));
    std::string c = frame_record(to_journal_json(record("c", 3, Outcome::ok)));
    std::string flipped = b;
    flipped[flipped.size() / 2] ^= 0x01;  // one bit in the payload
    auto p = parse_journal(a + flipped + c);
    ASSERT_EQ(p.payloads.size(), 2u);
    EXPECT_EQ(p.dropped, 1u);
    std::string bad_len = b;
    bad_len[5] = bad_len[5] == '9' ? '8' : '9';  // the length field
    p = parse_journal(a + bad_len + c);
    EXPECT_EQ(p.payloads.size(), 2u);
    EXPECT_EQ(p.dropped, 1u);
    p = parse_journal(a + "garbage line\n\n" + c);
    EXPECT_EQ(p.payloads.size(), 2u);
    EXPECT_EQ(p.dropped, 2u);
}

TEST(Journal, ReplaysLatestPerKeyAndRewritesWithoutTornTail) {
    test::TempDir dir;
    const auto path = (dir.path / "state" / "journal").string();  // the directory is created
    std::vector<MeasurementRecord> latest;
    auto keep_all = [](const MeasurementRecord&) { return true; };
    {
        auto j = Journal::open(JournalOptions{path, 1 << 20}, keep_all, latest);
        ASSERT_TRUE(j) << j.error().message;
        EXPECT_TRUE(latest.empty());
        for (uint64_t i = 1; i <= 6; ++i) {
            auto r = record(i % 2 ? "odd" : "even", (*j)->next_seq(), i == 6 ? Outcome::failed : Outcome::ok, i == 6 ? "x" : "");
            ASSERT_TRUE((*j)->append(r));
        }
        EXPECT_EQ((*j)->stats().records, 6u);
    }
    // A crash in the middle of the next append.
    const std::string torn = frame_record(to_journal_json(record("odd", 7, Outcome::ok))).substr(0, 100);
    test::write_text(path, test::read_text(path) + torn);
    test::write_text(path + ".tmp", "a compaction interrupted by the crash");
    {
        auto j = Journal::open(JournalOptions{path, 1 << 20}, keep_all, latest);
        ASSERT_TRUE(j) << j.error().message;
        EXPECT_EQ((*j)->stats().replayed, 6u);
        EXPECT_EQ((*j)->stats().dropped, 1u);
        ASSERT_EQ(latest.size(), 2u);
        EXPECT_EQ(latest[0].key, "odd");
        EXPECT_EQ(latest[0].seq, 5u);
        EXPECT_EQ(latest[1].key, "even");
        EXPECT_EQ(latest[1].seq, 6u);
        EXPECT_EQ(latest[1].status, Outcome::failed);
        EXPECT_EQ(latest[1].totals.runs[static_cast<size_t>(Outcome::failed)], 6u);
        EXPECT_EQ((*j)->next_seq(), 7u);
        EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
        // Rewritten: two whole records, no garbage.
        const auto p = parse_journal(test::read_text(path));
        EXPECT_EQ(p.payloads.size(), 2u);
        EXPECT_EQ(p.dropped, 0u);
        ASSERT_TRUE((*j)->append(record("odd", (*j)->next_seq(), Outcome::ok)));
    }
    {
        // A key the configuration no longer has is left behind.
        auto j = Journal::open(JournalOptions{path, 1 << 20},
                               [](const MeasurementRecord& r) { return r.key != "even"; }, latest);
        ASSERT_TRUE(j);
        ASSERT_EQ(latest.size(), 1u);
        EXPECT_EQ(latest[0].seq, 7u);
        EXPECT_EQ(parse_journal(test::read_text(path)).payloads.size(), 1u);
    }
}

TEST(Journal, StaysBounded) {
    test::TempDir dir;
    const auto path = (dir.path / "journal").string();
    std::vector<MeasurementRecord> latest;
    const uint64_t max = kJournalMinBytes;
    auto j = Journal::open(JournalOptions{path, max}, [](const MeasurementRecord&) { return true; }, latest);
    ASSERT_TRUE(j);
    uint64_t biggest = 0;
    for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE((*j)->append(record("k" + std::to_string(i % 5), (*j)->next_seq(), Outcome::ok)));
        biggest = std::max<uint64_t>(biggest, std::filesystem::file_size(path));
        ASSERT_EQ((*j)->stats().size_bytes, std::filesystem::file_size(path));
    }
    EXPECT_GT((*j)->stats().compactions, 10u);
    EXPECT_LE(biggest, max + 2048) << "compaction keeps the file within max_bytes plus one record";
    j->reset();
    auto again = Journal::open(JournalOptions{path, max}, [](const MeasurementRecord&) { return true; }, latest);
    ASSERT_TRUE(again);
    ASSERT_EQ(latest.size(), 5u);
    for (const auto& r : latest) EXPECT_GE(r.seq, 1996u);
}

TEST(Journal, UnwritablePlaceIsAnError) {
    std::vector<MeasurementRecord> latest;
    auto j = Journal::open(JournalOptions{"/proc/p2pscoped/journal", 1 << 20}, [](const MeasurementRecord&) { return true; },
                           latest);
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().code, Errc::system);
    EXPECT_NE(j.error().message.find("/proc/p2pscoped"), std::string::npos) << j.error().message;
}

// A wrong journal.path must not erase what it names, and a FIFO must not hang
// the daemon (issue 17.2, 17.3): both refused, the file left as it was.
TEST(Journal, RefusesWhatIsNotAJournal) {
    test::TempDir dir;
    auto keep_all = [](const MeasurementRecord&) { return true; };
    std::vector<MeasurementRecord> latest;
    const auto readme = (dir.path / "README").string();
    const std::string text = "# p2pscope\nNot a journal.\n";
    std::ofstream(readme) << text;
    auto j = Journal::open(JournalOptions{readme, 1 << 20}, keep_all, latest);
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().code, Errc::bad_input);
    EXPECT_EQ(j.error().message, readme + ": " + std::to_string(text.size()) +
                                     " bytes that hold no p2pscoped journal record: not a journal, left as it is (name "
                                     "another journal.path, or remove the file)");
    std::ifstream in(readme);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);  // untouched

    const auto fifo = (dir.path / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto f = Journal::open(JournalOptions{fifo, 1 << 20}, keep_all, latest);  // returns: no writer needed
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().message, fifo + ": a FIFO, not a p2pscoped journal (regular files only)");

    // A journal whose every record is damaged still starts like one: kept, its records dropped.
    const auto damaged = (dir.path / "damaged").string();
    std::ofstream(damaged) << "P2J1 5 00000000 hello\n";
    auto d = Journal::open(JournalOptions{damaged, 1 << 20}, keep_all, latest);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ((*d)->stats().dropped, 1u);
}

}  // namespace
}  // namespace p2pscope::exporter
