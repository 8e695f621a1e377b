/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kcrashctl.h"

int run_submit_daemon(Context *ctx);
