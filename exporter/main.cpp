// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped: exports p2pscope's view of PCIe peer-to-peer DMA paths to
// Prometheus (pull on /metrics, or push to a Pushgateway once), with a JSON
// snapshot for the live GUI on /snapshot.json. The work is done by the
// p2pscope_exporter library; this file parses flags, waits for a signal and
// maps errors to one line and an exit status.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "p2pscope/cli_checks.hpp"
#include "p2pscope/exporter/daemon.hpp"
#include "p2pscope/exporter/journal.hpp"

namespace {

using namespace p2pscope;
using namespace p2pscope::exporter;

int fail(const Error& e) {
    std::cerr << "p2pscoped: " << e.message << "\n";
    return exit_status(e.code);
}

struct Flags {
    std::string config;
    std::string listen = kDefaultListen;
    unsigned http_max_connections = HttpOptions{}.max_connections;
    unsigned http_per_client = HttpOptions{}.per_client;
    double http_timeout_s = 5;
    std::string sysfs_root = "/";
    std::string hwloc_xml;
    std::string lspci_dump;
    std::vector<std::string> classes;
    std::vector<std::string> devices;
    std::string assume_cpu;
    bool disable_defaults = false;
    std::string push_gateway;
    std::string push_job = "p2pscoped";
    std::string push_instance;
    bool check_config = false;
};

// Every flag of p2pscoped; --collector.NAME for each collector this build offers.
void add_flags(CLI::App& app, Flags& f, const std::vector<CollectorInfo>& collectors,
               std::map<std::string, bool>& choices) {
    app.set_version_flag("--version", std::string(P2PSCOPE_VERSION));
    app.add_option("--config", f.config,
                   "Configuration: measurements, schedule, duty cycle, journal (JSON, exporter/README.md). "
                   "Without one, only the topology is exported")
        ->type_name("FILE");
    app.add_option("--listen", f.listen,
                   "Address and port to serve /metrics, /snapshot.json and / on (port 0: any free port)")
        ->type_name("ADDR:PORT")
        ->capture_default_str();
    app.add_option("--http-max-connections", f.http_max_connections,
                   "HTTP connections open at once, all clients together; more are turned away with 503")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    app.add_option("--http-per-client", f.http_per_client,
                   "HTTP connections open at once from one client address; more are turned away with 503")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    app.add_option("--http-timeout", f.http_timeout_s,
                   "Seconds a connection may last, request and reply together, before it is closed")
        ->check(p2pscope::finite())
        ->check(CLI::Range(0.1, 300.0))
        ->capture_default_str();
    auto* sysfs = app.add_option("--sysfs-root", f.sysfs_root,
                                 "Read sys/ and proc/ under DIR instead of this machine's (an unpacked copy)")
                      ->type_name("DIR");
    auto* xml = app.add_option("--hwloc-xml", f.hwloc_xml, "Read an hwloc XML topology from any machine")->type_name("FILE");
    auto* dump = app.add_option("--lspci-dump", f.lspci_dump, "Read an `lspci -xxxx` dump")->type_name("FILE");
    sysfs->excludes(xml)->excludes(dump);
    xml->excludes(dump);
    app.add_option("--class", f.classes,
                   "Device classes to pair: gpu, nic, nvme, accel, other, all (default gpu,nic,nvme,accel)")
        ->delimiter(',')
        ->type_name("LIST");
    app.add_option("--devices", f.devices, "Pair exactly these functions (BDFs, bridges allowed)")
        ->delimiter(',')
        ->type_name("BDF,...");
    app.add_option("--assume-cpu", f.assume_cpu,
                   "CPU for the kernel's CPU rule when the input does not say (e.g. amd:0x19, intel)")
        ->type_name("VENDOR[:FAMILY]");

    for (const auto& c : collectors) {
        const std::string name = c.name;
        auto* on = app.add_flag_callback(
            "--collector." + name, [&choices, name] { choices[name] = true; },
            "Enable the " + name + " collector: " + c.help + (c.enabled_by_default ? " (default: on)" : " (default: off)"));
        auto* off = app.add_flag_callback("--no-collector." + name, [&choices, name] { choices[name] = false; },
                                          "Disable the " + name + " collector");
        on->excludes(off);
    }
    app.add_flag("--collector.disable-defaults", f.disable_defaults,
                 "Disable every collector, then enable only those given with --collector.NAME");

    auto* push = app.add_option("--push-gateway", f.push_gateway,
                                "Push mode: run every configured measurement once, push the metrics to this "
                                "Pushgateway and exit")
                     ->type_name("URL");
    app.add_option("--push-job", f.push_job, "Push mode: the job label")->capture_default_str()->needs(push);
    app.add_option("--push-instance", f.push_instance, "Push mode: an instance label (default none)")->needs(push);
    app.add_flag("--check-config", f.check_config,
                 "Check the flags and the configuration, load the topology, print a summary and exit");
    app.footer(
        "Endpoints: /metrics (Prometheus text format), /snapshot.json (schema p2pscope.snapshot/1), / (links).\n"
        "Default listener 127.0.0.1:9477 (loopback only). Measurements run on their own thread within the\n"
        "configured duty cycle, never during a scrape; each result is journaled (fsync'd) before it is exposed\n"
        "and replayed at start. SIGTERM or SIGINT stops the daemon.\n"
        "Exit status: 0 done, 2 bad flags, configuration or topology input, 3 the job cannot be done here\n"
        "(the listener, the journal, a failed push).");
}

// The daemon's options from its flags: the topology input, the configuration, the collectors.
Result<DaemonOptions> daemon_options(const Flags& f, const TransferEngines& engines,
                                     const std::vector<CollectorInfo>& collectors,
                                     const std::map<std::string, bool>& choices) {
    DaemonOptions options;
    options.engines = engines;
    options.http.listen = f.listen;
    options.http.max_connections = f.http_max_connections;
    options.http.per_client = f.http_per_client;
    options.http.connection_timeout_ms = static_cast<unsigned>(f.http_timeout_s * 1000);
    if (auto s = check_http_options(options.http); !s) return s.error();
    options.topology.source.sysfs_root = f.sysfs_root;
    options.topology.source.hwloc_xml = f.hwloc_xml;
    options.topology.source.lspci_dump = f.lspci_dump;
    auto selection = probe::parse_selection(f.classes, f.devices);
    if (!selection) return selection.error();
    options.topology.selection = *selection;
    if (!f.assume_cpu.empty()) {
        auto cpu = probe::parse_cpu(f.assume_cpu);
        if (!cpu) return cpu.error();
        options.topology.verdict.assume_cpu = *cpu;
    }
    if (!f.config.empty()) {
        auto cfg = load_config(f.config, engines);
        if (!cfg) return cfg.error();
        options.config = std::move(*cfg);
    }
    auto enabled = select_collectors(collectors, choices, f.disable_defaults);
    if (!enabled) return enabled.error();
    options.collectors = std::move(*enabled);
    if (!f.push_gateway.empty())
        if (auto s = check_push_gateway(f.push_gateway); !s) return s.error();
    return options;
}

// --check-config: the journal and topology read, a summary on stdout.
int print_config_summary(Daemon& d, bool journaled, const std::string& journal_path) {
    if (journaled)
        if (auto j = read_journal_file(journal_path); !j) return fail(j.error());
    const auto s = d.store().load();
    std::cout << "p2pscoped: configuration ok: " << s->scheduler.measurements << " measurement(s); topology "
              << s->topology->topology.source << ": " << s->topology->topology.functions.size() << " PCI functions, "
              << s->topology->pairs.size() << " pairs; collectors";
    for (const auto& n : d.collectable()->names()) std::cout << " " << n;
    std::cout << "\n";
    return 0;
}

// Push mode: every measurement once, each outcome on stdout, the metrics pushed.
int push_once(Daemon& d, const Flags& f) {
    auto s = d.push_once(PushOptions{f.push_gateway, f.push_job, f.push_instance});
    const auto snapshot = d.store().load();
    for (const auto& r : snapshot->measurements)
        std::cout << r->key << ": " << to_string(r->status) << (r->reason.empty() ? "" : " (" + r->reason + ")") << "\n";
    if (!s) return fail(s.error());
    std::cout << "pushed to " << f.push_gateway << " (job " << f.push_job << ")\n";
    return 0;
}

// Serves until SIGTERM or SIGINT (blocked in every thread, taken here by sigwait).
int serve_until_signal(Daemon& d, const std::string& listen, const sigset_t& stop_signals, std::mutex& log_mutex) {
    if (auto s = d.serve(); !s) return fail(s.error());
    {
        std::string where;
        const auto colon = listen.rfind(':');
        for (int p : d.ports()) where += (where.empty() ? "" : ", ") + listen.substr(0, colon) + ":" + std::to_string(p);
        std::lock_guard lock(log_mutex);
        std::cerr << "p2pscoped: listening on " << where << " (/metrics, /snapshot.json)" << std::endl;
    }
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    {
        std::lock_guard lock(log_mutex);
        std::cerr << "p2pscoped: " << strsignal(sig) << ": stopping" << std::endl;
    }
    d.stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const TransferEngines engines = builtin_transfer_engines();
    const std::vector<CollectorInfo> collectors = available_collectors(engines);

    Flags f;
    CLI::App app{"p2pscoped: exports PCIe peer-to-peer DMA paths (topology, pair verdicts, IOMMU groups) and the\n"
                 "results of scheduled measurements (DMA map latency through p2pscope.ko, transfer bandwidth and\n"
                 "latency by p2pscope xfer's engines) to Prometheus.",
                 "p2pscoped"};
    std::map<std::string, bool> choices;
    add_flags(app, f, collectors, choices);
    if (auto done = p2pscope::parse_command_line(app, argc, argv)) {
        std::cout << done->out;
        std::cerr << done->err;
        return done->status;
    }

    auto built = daemon_options(f, engines, collectors, choices);
    if (!built) return fail(built.error());
    DaemonOptions options = std::move(*built);
    const bool push_mode = !f.push_gateway.empty();

    // The daemon says what happens on stderr (systemd's journal). Push mode
    // and --check-config print their summary on stdout instead, so that an
    // error stays the one line on stderr.
    std::mutex log_mutex;
    if (!push_mode && !f.check_config)
        options.log = [&log_mutex](const std::string& line) {
            std::lock_guard lock(log_mutex);
            std::cerr << "p2pscoped: " << line << std::endl;
        };

    // Signals are taken by sigwait() in serve_until_signal(); every thread started from here on
    // inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    // glibc gives each thread that allocates its own arena; a dozen HTTP
    // threads would each keep what the largest request left behind. Two keep
    // the daemon's memory flat without contention that shows in scrapes.
    mallopt(M_ARENA_MAX, 2);

    const std::string journal_path = options.config.journal.path;
    const bool journaled = !options.config.measurements.empty();
    auto daemon = Daemon::create(std::move(options), /*journal=*/!push_mode && !f.check_config);
    if (!daemon) return fail(daemon.error());
    auto& d = **daemon;

    if (f.check_config) return print_config_summary(d, journaled, journal_path);
    if (push_mode) return push_once(d, f);
    return serve_until_signal(d, f.listen, stop_signals, log_mutex);
}
