build-f1/obj/daemon/jobs/worker.o: daemon/jobs/worker.c \
 daemon/jobs/worker.h daemon/targets/target.h daemon/adiv5/adiv5.h \
 daemon/dap/dap.h daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/err.h daemon/jobs/job.h \
 daemon/jobs/unlock_job.h daemon/jobs/report_json.h daemon/json_util.h \
 daemon/log.h daemon/probes/probe_link.h daemon/probes/probe_registry.h
daemon/jobs/worker.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/err.h:
daemon/jobs/job.h:
daemon/jobs/unlock_job.h:
daemon/jobs/report_json.h:
daemon/json_util.h:
daemon/log.h:
daemon/probes/probe_link.h:
daemon/probes/probe_registry.h:
