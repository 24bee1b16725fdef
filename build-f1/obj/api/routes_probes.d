build-f1/obj/api/routes_probes.o: api/routes_probes.c api/api.h \
 daemon/err.h daemon/jobs/job.h daemon/jobs/unlock_job.h \
 daemon/targets/target.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/jobs/worker.h daemon/json_util.h \
 daemon/log.h daemon/probes/probe_registry.h
api/api.h:
daemon/err.h:
daemon/jobs/job.h:
daemon/jobs/unlock_job.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/jobs/worker.h:
daemon/json_util.h:
daemon/log.h:
daemon/probes/probe_registry.h:
