build-f1/obj/daemon/jobs/job_json.o: daemon/jobs/job_json.c daemon/err.h \
 daemon/jobs/job_internal.h daemon/jobs/job.h daemon/jobs/unlock_job.h \
 daemon/targets/target.h daemon/adiv5/adiv5.h daemon/dap/dap.h \
 daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/json_util.h
daemon/err.h:
daemon/jobs/job_internal.h:
daemon/jobs/job.h:
daemon/jobs/unlock_job.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/json_util.h:
