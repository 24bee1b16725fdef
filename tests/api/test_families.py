"""One chip of every family through the daemon's HTTP API: add it as a
simulated probe, read its level, unlock it, read it again, lock it; the
level-2 part of the family must be reported and refused."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from rdpd_harness import Daemon, check, is_problem, summary  # noqa: E402

# part, family key, chip name prefix, has a level-2 profile
FAMILIES = [
    ("stm32f030r8", "stm32f1", "STM32F0", True),
    ("stm32f103c8", "stm32f1", "STM32F10", False),
    ("stm32f303vc", "stm32f1", "STM32F30", True),
    ("gd32f130c8", "stm32f1", "GD32", True),
    ("gd32e230c8", "stm32f1", "GD32E23", True),
    ("gd32f205rc", "stm32f1", "GD32F20", False),  # no high protection (gd32f20x_fmc.h)
    ("stm32f205rg", "stm32f4", "STM32F2", True),
    ("stm32f401re", "stm32f4", "STM32F401", True),
    ("stm32f746zg", "stm32f4", "STM32F74", True),
    ("stm32l073rz", "stm32l0", "STM32L0", True),
    ("stm32l152re", "stm32l0", "STM32L1", True),
    ("stm32l476rg", "stm32l4", "STM32L4", True),
    ("stm32l4r5zi", "stm32l4", "STM32L4", True),
    ("stm32g071rb", "stm32l4", "STM32G0", True),
    ("stm32g474re", "stm32l4", "STM32G4", True),
    ("stm32g473cc", "stm32l4", "STM32G4", True),
    ("stm32c031c6", "stm32l4", "STM32C0", True),
    ("stm32u083rc", "stm32l4", "STM32U0", True),
    ("stm32wb55rg", "stm32l4", "STM32WB", True),
    ("stm32wb15cc", "stm32l4", "STM32WB", True),
    ("stm32wle5jc", "stm32l4", "STM32WL", True),
    ("stm32l552ze", "stm32l5", "STM32L5", True),
    ("stm32u585ai", "stm32l5", "STM32U5", True),
    ("stm32u5a5zj", "stm32l5", "STM32U5", True),
    ("stm32h743zi", "stm32h7", "STM32H7", True),
    ("stm32h7b3ai", "stm32h7", "STM32H7", True),
    ("stm32h743zg", "stm32h7", "STM32H7", False),
    ("stm32wb55rg-fus", "stm32l4", "STM32WB", False),
    ("at32f415cbt7", "at32f4", "AT32F415", True),
    ("gd32f450zk", "stm32f4", "GD32F450", True),
]


def add(d, profile, serial):
    res = d.post("/probes", {"uri": "sim:%s?time_scale=0.001&serial=%s" % (profile, serial)})
    return res[2]["index"] if res[0] == 201 else None


def family_round_trip(d, part, family, prefix):
    idx = add(d, part + "-rdp1", "F" + part)
    if not check(part + " added", idx is not None):
        return
    res = d.get("/probes/%d/rdp" % idx)
    ok = res[0] == 200 and res[2]["family"] == family and res[2]["chip"].startswith(prefix)
    check(part + " identified", ok, res[2] if res[0] == 200 else res)
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
    check(part + " lock to level 1", res[0] == 200 and res[2]["state"] == "succeeded" and
          res[2]["result"]["rdp_after"] == 1, res[2].get("error") or res[2].get("result"))


def level2_refused(d, part):
    idx = add(d, part + "-rdp2", "L2" + part)
    res = d.get("/probes/%d/rdp" % idx)
    check(part + " level 2 reported", is_problem(*res, 502, "target_not_responding") and
          "level 2" in res[2]["detail"], res)
    res = d.post("/probes/%d/unlock?wait=60" % idx, {})
    check(part + " level 2 unlock fails", res[0] == 200 and res[2]["state"] == "failed" and
          res[2]["error"]["code"] == "target_not_responding", res[2].get("error"))


def main():
    d = Daemon().start()
    try:
        for part, family, prefix, has_l2 in FAMILIES:
            family_round_trip(d, part, family, prefix)
            if has_l2:
                level2_refused(d, part)
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
