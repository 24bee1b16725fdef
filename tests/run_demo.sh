#!/bin/sh
# `make run` until the daemon lands: the command line reads and unlocks a
# simulated DAPLink with a locked STM32F401 (or lists the real probes).
B=${1:-build}
echo "== rdpd probes (real USB probes attached to this machine)"
"$B/rdpd" probes
echo
echo "== rdpd rdp --probe sim:stm32f401re-rdp1   (a simulated DAPLink + STM32F401RE at RDP level 1)"
"$B/rdpd" rdp --probe sim:stm32f401re-rdp1
echo
echo "== rdpd unlock --probe 'sim:stm32f401re-rdp1?time_scale=0.25'   (the ~4 s erase, 4x faster)"
"$B/rdpd" unlock --probe 'sim:stm32f401re-rdp1?time_scale=0.25'
echo
echo "Next: build/rdpd help; build/rdpd-sim --help (a TCP CMSIS-DAP server OpenOCD can drive)."
