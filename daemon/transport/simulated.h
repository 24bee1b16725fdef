/*
 * simulated.h - reach the simulator model behind a sim: transport, for tests
 * and for the daemon's simulated-probe controls (power cycle, fault hooks).
 */
#ifndef RDPD_TRANSPORT_SIMULATED_H
#define RDPD_TRANSPORT_SIMULATED_H

struct transport;
struct sim_probe;

/* The model behind T, or NULL when T is not a simulated probe. */
struct sim_probe *simulated_model(struct transport *t);

#endif
