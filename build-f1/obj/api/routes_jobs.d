build-f1/obj/api/routes_jobs.o: api/routes_jobs.c api/api.h daemon/err.h \
 daemon/jobs/job.h daemon/jobs/unlock_job.h daemon/targets/target.h \
 daemon/adiv5/adiv5.h daemon/dap/dap.h daemon/dap/dap_commands.h \
 daemon/transport/transport.h daemon/cortexm/cortexm.h \
 daemon/probes/probe_registry.h
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
daemon/probes/probe_registry.h:
