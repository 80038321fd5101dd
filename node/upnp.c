/*
 * UPnP port mapping (upnp=1; off by default): miniupnpc discovery and mapping block for
 * seconds, so they run on libuv's worker pool, never on the loop thread. The result is only
 * logged; the mapping is removed at stop.
 */
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"

struct hs_upnp {
	uv_work_t work;
	struct hs_daemon *d;
	struct UPNPUrls urls;
	struct IGDdatas data;
	bool have_igd, mapped, busy;
	char lan[64], external[64], port[8], error[128];
};

static void discover(uv_work_t *w)
{
	struct hs_upnp *u = w->data;
	int error = 0;
	struct UPNPDev *devs = upnpDiscover(2000, NULL, NULL, 0, 0, 2, &error);
	if (!devs) {
		snprintf(u->error, sizeof(u->error), "no UPnP device found");
		return;
	}
	int igd = UPNP_GetValidIGD(devs, &u->urls, &u->data, u->lan, sizeof(u->lan));
	freeUPNPDevlist(devs);
	if (igd != 1) {
		snprintf(u->error, sizeof(u->error), "no connected Internet gateway");
		if (igd > 0)
			FreeUPNPUrls(&u->urls);
		return;
	}
	u->have_igd = true;
	UPNP_GetExternalIPAddress(u->urls.controlURL, u->data.first.servicetype, u->external);
	int rc = UPNP_AddPortMapping(u->urls.controlURL, u->data.first.servicetype, u->port,
	                             u->port, u->lan, "hearsay", "TCP", NULL, "0");
	if (rc == UPNPCOMMAND_SUCCESS)
		u->mapped = true;
	else
		snprintf(u->error, sizeof(u->error), "port mapping refused (%d)", rc);
}

static void discovered(uv_work_t *w, int status)
{
	struct hs_upnp *u = w->data;
	u->busy = false;
	if (status == 0 && u->mapped)
		hs_log(HS_LOG_INFO, "upnp: mapped port %s on %s (external address %s)", u->port,
		       u->lan, u->external);
	else
		hs_log(HS_LOG_WARN, "upnp: %s", u->error[0] ? u->error : "cancelled");
}

void hs_upnp_start(struct hs_daemon *d)
{
	if (!d->cfg.listen_on)
		return;
	struct hs_upnp *u = calloc(1, sizeof(*u));
	if (!u)
		return;
	u->d = d;
	u->work.data = u;
	snprintf(u->port, sizeof(u->port), "%u", d->cfg.listen.port);
	u->busy = true;
	d->upnp = u;
	hs_log(HS_LOG_INFO, "upnp: looking for a gateway (in the background)");
	uv_queue_work(&d->loop, &u->work, discover, discovered);
}

void hs_upnp_stop(struct hs_daemon *d)
{
	struct hs_upnp *u = d->upnp;
	if (!u)
		return;
	if (u->busy) {
		/* Still discovering: let the worker finish before freeing. */
		uv_cancel((uv_req_t *)&u->work);
		while (u->busy)
			uv_run(&d->loop, UV_RUN_ONCE);
	}
	if (u->mapped)
		UPNP_DeletePortMapping(u->urls.controlURL, u->data.first.servicetype, u->port,
		                       "TCP", NULL);
	if (u->have_igd)
		FreeUPNPUrls(&u->urls);
	free(u);
	d->upnp = NULL;
}
