build-f1/obj/daemon/targets/stm32h7.o: daemon/targets/stm32h7.c \
 daemon/err.h daemon/targets/stm32_common.h daemon/targets/target.h \
 daemon/adiv5/adiv5.h daemon/dap/dap.h daemon/dap/dap_commands.h \
 daemon/transport/transport.h daemon/cortexm/cortexm.h
daemon/err.h:
daemon/targets/stm32_common.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
