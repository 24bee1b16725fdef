build-f1/obj/daemon/jobs/unlock_job.o: daemon/jobs/unlock_job.c \
 daemon/jobs/unlock_job.h daemon/targets/target.h daemon/adiv5/adiv5.h \
 daemon/dap/dap.h daemon/dap/dap_commands.h daemon/transport/transport.h \
 daemon/cortexm/cortexm.h daemon/err.h
daemon/jobs/unlock_job.h:
daemon/targets/target.h:
daemon/adiv5/adiv5.h:
daemon/dap/dap.h:
daemon/dap/dap_commands.h:
daemon/transport/transport.h:
daemon/cortexm/cortexm.h:
daemon/err.h:
