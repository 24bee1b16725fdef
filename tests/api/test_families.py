"""One chip of every family through the daemon's HTTP API: add it as a
simulated probe, read its level, unlock it, read it again, lock it; the
level-2 part of the family must be reported and refused.

The chips are every part the simulator has (build/rdpd-sim --list-profiles:
a part P is named by its P-rdp0 profile, and P-rdp1 where it can be
locked), so a new family's model is in here without a line; a part with a
P-rdp2 profile is also refused at level 2. A part with no P-rdp1 has no
protection (RP2040): it reads level 0, has nothing to unlock, and a lock is
refused. What rdpd calls the chip is checked against the driver tables
(build/tools/families --json: the family is a driver, the chip one of its
parts) and, for names of the STM32 kind, against the simulator's own name
for it (the same vendor and series: STM32F4, STM32WB, GD32F1); other
vendors' locked chips are named by a generic row. Each family's own test
(tests/sim/test_stack_FAMILY.c) checks the exact part names."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import BUILD, Daemon, check, is_problem, summary  # noqa: E402


def sim_parts():
    """(part, has a level-1 profile, has a level-2 profile) for every
    simulated part, in the simulator's order; the profiles that are not
    P-rdpN of a part with P-rdp0 are special ones (no-target, an SWD-off
    firmware)."""
    out = subprocess.check_output([os.path.join(BUILD, "rdpd-sim"), "--list-profiles"], text=True)
    names = out.split()
    have = set(names)
    return [(n[:-5], n[:-5] + "-rdp1" in have, n[:-5] + "-rdp2" in have) for n in names
            if n.endswith("-rdp0")]


def driver_tables():
    out = subprocess.check_output([os.path.join(BUILD, "tools", "families"), "--json"], text=True)
    return json.loads(out)["drivers"]


def driver_parts():
    """{driver: set of part names} from the driver tables."""
    return {d["name"]: {p["name"] for p in d["parts"]} for d in driver_tables()}


def multidrop_drivers():
    """Drivers whose parts sit on an SWD multidrop bus (a targetsel): an
    ST-LINK cannot select them."""
    return {d["name"] for d in driver_tables() if any(p["targetsel"] for p in d["parts"])}


def series(name):
    """Vendor and series of a part name, the letters up to "32" and the two
    characters after: "STM32F401RE" and "STM32F401xD/E" are both "STM32F4",
    "GD32F130C8" and "GD32F1x0 (or GD32F10x)" "GD32F1"."""
    m = re.match(r"[A-Z]+32..", name.upper())
    return m.group(0) if m else None


def named_right(chip, part):
    """The chip's name is of the simulated part's series, where the name is
    of the STM32 kind (series() finds one in the simulator's name)."""
    return series(part) is None or series(chip) == series(part)


def refused_on_purpose(part, family):
    """Parts rdpd identifies but does not unlock: H5 product states, an OEM1
    key set (as tests/sim/test_stack_every_profile.c)."""
    return family == "stm32h5" or "-oem1" in part


def lock_refused_on_purpose(family):
    """Families rdpd unlocks but does not lock: a Kinetis (securing it
    rewrites its first flash sector: docs/targets/kinetis.md)."""
    return family == "kinetis"


# The simulated probes every family runs behind (issue 14): a DAPLink and an
# ST-LINK/V2-1, each with the protocol and the firmware GET /probes must show.
PROBES = [("", "D", "cmsis-dap", "0257"), ("&probe=stlink-v2-1", "S", "stlink", "V2J37M26")]


def add(d, profile, serial, probe=""):
    res = d.post("/probes", {"uri": "sim:%s?time_scale=0.001&serial=%s%s" % (profile, serial, probe)})
    return res[2]["index"] if res[0] == 201 else None


def remove_all(d):
    """Every probe removed again: more parts than the table's 64 probes."""
    for p in d.get("/probes")[2]["probes"]:
        d.request("DELETE", "/probes/%d" % p["index"])


def documented_schemes(d, cache={}):
    """The protection schemes /openapi.json names for Protection.scheme."""
    if "enum" not in cache:
        doc = d.get("/openapi.json")[2]
        cache["enum"] = doc["components"]["schemas"]["Protection"]["properties"]["scheme"]["enum"]
    return cache["enum"]


def family_round_trip(d, part, drivers, reached, via):
    option, tag, protocol, firmware = via
    name = part + (" via " + protocol if option else "")
    idx = add(d, part + "-rdp1", tag + part, option)
    if not check(name + " added", idx is not None):
        return
    res = d.get("/probes/%d/rdp" % idx)
    got = d.get("/probes/%d" % idx)[2]
    check(name + " probe protocol and firmware", got.get("protocol") == protocol and
          got.get("firmware_version") == firmware, (got.get("protocol"), got.get("firmware_version")))
    part = name
    family = res[2]["family"] if res[0] == 200 else None
    ok = family in drivers and res[2]["chip"] in drivers[family] and named_right(res[2]["chip"], part)
    check(part + " identified", ok, res[2] if res[0] == 200 else res)
    check(part + " scheme documented", res[0] == 200 and res[2].get("scheme") in documented_schemes(d),
          res[2].get("scheme") if res[0] == 200 else res)
    reached.add(family)
    if refused_on_purpose(part, family):
        res = d.post("/probes/%d/unlock?wait=60" % idx, {})
        check(part + " unlock refused on purpose", res[0] == 200 and res[2]["state"] == "failed" and
              res[2]["error"]["code"] == "not_supported", res[2].get("error"))
        return
    check(part + " level 1", res[0] == 200 and res[2]["rdp_level"] == 1, res[2])
    res = d.post("/probes/%d/unlock?wait=60" % idx, {})
    j = res[2]
    check(part + " unlock succeeded", res[0] == 200 and j["state"] == "succeeded", j.get("error") or j.get("state"))
    if j.get("result"):
        r = j["result"]
        check(part + " unlock result", r["rdp_before"] == 1 and r["rdp_after"] == 0 and r["flash_erased"] and
              (r["flash_verified_blank"] or r["power_cycle_required"]), r)
    res = d.get("/probes/%d/rdp" % idx)
    check(part + " level 0 after unlock", res[0] == 200 and res[2]["rdp_level"] == 0, res[2])
    res = d.post("/probes/%d/lock?wait=60" % idx, {})
    if lock_refused_on_purpose(family):
        check(part + " lock refused, nothing written", res[0] == 200 and res[2]["state"] == "failed" and
              res[2]["error"]["code"] == "not_supported" and "Nothing was written" in res[2]["error"]["detail"],
              res[2].get("error"))
        res = d.get("/probes/%d/rdp" % idx)
        check(part + " still level 0 after the refused lock", res[0] == 200 and res[2]["rdp_level"] == 0, res[2])
        return
    check(part + " lock to level 1", res[0] == 200 and res[2]["state"] == "succeeded" and
          res[2]["result"]["rdp_after"] == 1, res[2].get("error") or res[2].get("result"))


def open_only_round_trip(d, part, drivers, reached, via, multidrop):
    """A part with no protection (no P-rdp1): level 0, an unlock with
    nothing to do, a lock refused; behind a probe that cannot select a
    multidrop DP (MULTIDROP: the part's driver has a targetsel), a silence
    that says which probe can. Returns the family read, or None."""
    option, tag, protocol, firmware = via
    name = part + (" via " + protocol if option else "")
    idx = add(d, part + "-rdp0", tag + part, option)
    if not check(name + " added", idx is not None):
        return None
    res = d.get("/probes/%d/rdp" % idx)
    if protocol == "stlink" and multidrop:
        check(name + " multidrop needs a CMSIS-DAP probe", is_problem(*res, 502, "target_not_responding") and
              "needs a probe that can select it" in res[2]["detail"], res)
        return None
    family = res[2]["family"] if res[0] == 200 else None
    check(name + " identified", family in drivers and res[2]["chip"] in drivers[family], res[2])
    check(name + " scheme documented", res[0] == 200 and res[2].get("scheme") in documented_schemes(d),
          res[2].get("scheme") if res[0] == 200 else res)
    check(name + " level 0", res[0] == 200 and res[2]["rdp_level"] == 0, res[2])
    reached.add(family)
    res = d.post("/probes/%d/unlock?wait=60" % idx, {})
    check(name + " nothing to unlock", res[0] == 200 and res[2]["state"] == "succeeded" and
          not res[2]["result"]["flash_erased"], res[2].get("error") or res[2].get("result"))
    res = d.post("/probes/%d/lock?wait=60" % idx, {})
    check(name + " lock refused", res[0] == 200 and res[2]["state"] == "failed" and
          res[2]["error"]["code"] == "not_supported", res[2].get("error"))
    return family


def level2_refused(d, part):
    """Level 2 is reported, then refused with nothing done: an STM32 at
    RDP 2 answers nothing at all; a chip whose vendor port still answers
    (a Kinetis with mass erase disabled) reads level 2 and is refused."""
    idx = add(d, part + "-rdp2", "L2" + part)
    res = d.get("/probes/%d/rdp" % idx)
    silent = res[0] != 200
    check(part + " level 2 reported", (is_problem(*res, 502, "target_not_responding") and
                                       "level 2" in res[2]["detail"]) or
          (res[0] == 200 and res[2]["rdp_level"] == 2), res)
    res = d.post("/probes/%d/unlock?wait=60" % idx, {})
    code = "target_not_responding" if silent else "rdp_level2_permanent"
    check(part + " level 2 unlock fails", res[0] == 200 and res[2]["state"] == "failed" and
          res[2]["error"]["code"] == code and (silent or "Nothing was written" in res[2]["error"]["detail"]),
          res[2].get("error"))


def main():
    d = Daemon().start()
    try:
        drivers, reached, multidrop = driver_parts(), set(), multidrop_drivers()
        parts = sim_parts()
        check("the simulator lists parts", len(parts) > 0, parts)
        for part, has_l1, has_l2 in parts:
            family = None  # of an open-only part, as the DAPLink (first in PROBES) read it
            for via in PROBES:
                if has_l1:
                    family_round_trip(d, part, drivers, reached, via)
                else:
                    family = open_only_round_trip(d, part, drivers, reached, via, family in multidrop) or family
            if has_l2:
                level2_refused(d, part)
            remove_all(d)
        check("every driver reached through the API", reached >= set(drivers), set(drivers) - reached)
        # TrustZone: level 0.5 reads as 0.5 and unlocks to 0.
        idx = add(d, "stm32u585ai-rdp0.5", "TZ")
        res = d.get("/probes/%d/rdp" % idx)
        check("u5 level 0.5", res[0] == 200 and res[2]["rdp_level"] == 0.5, res[2])
        res = d.post("/probes/%d/unlock?wait=60" % idx, {})
        check("u5 0.5 unlocks to 0", res[2]["state"] == "succeeded" and res[2]["result"]["rdp_before"] == 0.5 and
              res[2]["result"]["rdp_after"] == 0, res[2].get("result"))
        # U0 with an OEM1 key: leaving level 1 needs the key; refused, nothing written.
        idx = add(d, "stm32u083rc-oem1-rdp1", "OEM1")
        res = d.post("/probes/%d/unlock?wait=60" % idx, {})
        check("u0 oem1 unlock not supported", res[2]["state"] == "failed" and
              res[2]["error"]["code"] == "not_supported" and "OEM1" in res[2]["error"]["detail"],
              res[2].get("error"))
        res = d.get("/probes/%d/rdp" % idx)
        check("u0 oem1 still level 1", res[0] == 200 and res[2]["rdp_level"] == 1, res[2])
        # H5: product states, not RDP: identified, and unlocking said to be unsupported.
        idx = add(d, "stm32h563zi-rdp1", "H5")
        res = d.get("/probes/%d/rdp" % idx)
        check("h5 identified with product state", res[0] == 200 and res[2]["family"] == "stm32h5" and
              res[2]["options"].get("product_state") == "0x72", res[2])
        res = d.post("/probes/%d/unlock?wait=60" % idx, {})
        check("h5 unlock not supported", res[2]["state"] == "failed" and
              res[2]["error"]["code"] == "not_supported" and "product state" in res[2]["error"]["detail"],
              res[2].get("error"))
    finally:
        d.stop()
    summary(os.path.basename(__file__))


main()
