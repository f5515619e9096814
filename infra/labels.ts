// Docker labels the program sets and the policy pack (policy/) reads.

/** A container's explicit opt-in to publishing its port beyond loopback (config bollalabz-db:allowNetworkBind). */
export const NETWORK_BIND_OPT_IN_LABEL = "bollalabz-db.allow-network-bind";
