build-f1/obj/daemon/targets/stm32_optr.o: daemon/targets/stm32_optr.c \
 daemon/targets/stm32_optr.h daemon/targets/stm32_common.h \
 daemon/targets/target.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/err.h
daemon/targets/stm32_optr.h:
daemon/targets/stm32_common.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/err.h:
