build-f1/obj/daemon/serve.o: daemon/serve.c daemon/serve.h api/api.h \
 api/auth.h daemon/config.h daemon/err.h daemon/jobs/job.h \
 daemon/jobs/unlock_job.h daemon/targets/target.h daemon/adiv5/adiv5.h \
 daemon/dap/dap.h daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/jobs/journal.h daemon/jobs/worker.h \
 daemon/log.h daemon/notify.h daemon/probes/probe_registry.h
daemon/serve.h:
api/api.h:
api/auth.h:
daemon/config.h:
daemon/err.h:
daemon/jobs/job.h:
daemon/jobs/unlock_job.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/jobs/journal.h:
daemon/jobs/worker.h:
daemon/log.h:
daemon/notify.h:
daemon/probes/probe_registry.h:
