build-f1/obj/daemon/cli/cli.o: daemon/cli/cli.c daemon/cli/cli.h \
 daemon/err.h daemon/jobs/job.h daemon/jobs/unlock_job.h \
 daemon/targets/target.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/jobs/report_json.h daemon/json_util.h \
 daemon/log.h daemon/probes/probe_link.h
daemon/cli/cli.h:
daemon/err.h:
daemon/jobs/job.h:
daemon/jobs/unlock_job.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/jobs/report_json.h:
daemon/json_util.h:
daemon/log.h:
daemon/probes/probe_link.h:
