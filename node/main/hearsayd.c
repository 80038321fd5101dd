/* hearsayd: the hearsay node (hearsayd --help). */
#include "node/daemon.h"

int main(int argc, char **argv)
{
	return hs_daemon_main(argc, argv);
}
