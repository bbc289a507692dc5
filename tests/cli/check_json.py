#!/usr/bin/env python3
"""Checks `p2pscope topo --format json` against the documented keys (docs/topo-json.md)."""
import json
import re
import subprocess
import sys

p2pscope, xml = sys.argv[1], sys.argv[2]
out = subprocess.run([p2pscope, "topo", "--hwloc-xml", xml, "--class", "gpu", "--format", "json"],
                     check=True, capture_output=True, text=True).stdout
doc = json.loads(out)
assert doc["schema"] == "p2pscope.topo/1", doc["schema"]
for key in ("source", "cpu", "packages", "numa_nodes", "host_bridges", "devices", "pairs", "notes"):
    assert key in doc, key
device_keys = {"bdf", "vendor_id", "device_id", "class", "kind", "vendor", "name", "selected", "parent",
               "host_bridge", "numa_node", "package", "bridge", "port_type", "config_bytes", "link", "acs",
               "acs_known", "ats_enabled", "mps_bytes", "mrrs_bytes", "sriov", "physfn", "iommu_group",
               "iommu_domain_type", "p2pmem", "driver", "relaxed_ordering", "no_snoop", "ten_bit_tags", "aer", "bars",
               "resizable_bars", "device_memory_bytes", "large_bar", "bar_at_largest_size"}
for d in doc["devices"]:
    missing = device_keys - d.keys()
    assert not missing, (d["bdf"], missing)
assert sum(d["selected"] for d in doc["devices"]) == 16
assert len(doc["pairs"]) == 120, len(doc["pairs"])
by = {(p["a"], p["b"]): p for p in doc["pairs"]}
p = by[("0000:34:00.0", "0000:36:00.0")]
assert p["path"] == "PIX" and p["p2pdma"]["verdict"] == "unknown" and p["p2pdma"]["distance"] is None, p
p = by[("0000:34:00.0", "0000:b7:00.0")]
assert p["path"] == "SYS" and p["p2pdma"]["verdict"] == "THRU_HOST_BRIDGE", p
assert isinstance(p["p2pdma"]["distance"], int) and p["p2pdma"]["reason"], p
assert re.fullmatch(r"[0-9]+\.[0-9]+", p["p2pdma"]["kernel_release"]), p
print("ok: JSON contract holds for", len(doc["devices"]), "devices and", len(doc["pairs"]), "pairs")
