build-f1/obj/daemon/jobs/report_json.o: daemon/jobs/report_json.c \
 daemon/jobs/report_json.h daemon/json_util.h daemon/targets/target.h \
 daemon/adiv5/adiv5.h daemon/dap/dap.h daemon/dap/dap_commands.h \
 daemon/transport/transport.h daemon/cortexm/cortexm.h daemon/err.h
daemon/jobs/report_json.h:
daemon/json_util.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/err.h:
