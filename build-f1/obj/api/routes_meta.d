build-f1/obj/api/routes_meta.o: api/routes_meta.c api/api.h api/assets.h \
 daemon/jobs/job.h daemon/jobs/unlock_job.h daemon/targets/target.h \
 daemon/adiv5/adiv5.h daemon/dap/dap.h daemon/dap/dap_commands.h \
 daemon/transport/transport.h daemon/cortexm/cortexm.h \
 daemon/jobs/worker.h daemon/json_util.h daemon/probes/probe_registry.h
api/api.h:
api/assets.h:
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
daemon/probes/probe_registry.h:
