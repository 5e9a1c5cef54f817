#include "common/version.h"

/* KIOSK_VERSION comes from the VERSION file (Makefile). */
#ifndef KIOSK_VERSION
#error "build with -DKIOSK_VERSION='\"x.y.z\"' (the Makefile does)"
#endif

const char *version_string(void)
{
    return KIOSK_VERSION;
}

const char *version_generator(void)
{
    return "kiosk " KIOSK_VERSION;
}
