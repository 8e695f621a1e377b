// SPDX-License-Identifier: GPL-2.0
/* crashme: a test module for kcrash's VM suite. Writing a mode to
 * /proc/crashme crashes the kernel in a known function of a module:
 *   null        NULL pointer write (an oops; panic_on_oops makes it a panic)
 *   bug         BUG()
 *   warn        WARN() (panic_on_warn makes it a panic)
 *   softlockup  spin with preemption off (softlockup_panic makes it a panic)
 *   hung        sleep uninterruptibly forever (hung_task_panic makes the
 *               hung task detector, kernel/hung_task.c, panic)
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <linux/preempt.h>
#include <linux/sched.h>

static noinline void kcrash_test_null(void)
{
	*(volatile int *)NULL = 42; /* symbolize-line: null */
}

static noinline void kcrash_test_bug(void)
{
	BUG(); /* symbolize-line: bug */
}

static noinline void kcrash_test_warn(void)
{
	WARN(1, "kcrash test warning"); /* symbolize-line: warn */
}

static noinline void kcrash_test_softlockup(void)
{
	preempt_disable();
	for (;;)
		cpu_relax();
}

static noinline void kcrash_test_hung(void)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	schedule();
	/* Not a tail call: this function stays in the stack the hung task
	 * detector prints. */
	__set_current_state(TASK_RUNNING);
}

static ssize_t crashme_write(struct file *f, const char __user *ubuf, size_t len, loff_t *off)
{
	char buf[16] = {};

	if (copy_from_user(buf, ubuf, min(len, sizeof(buf) - 1)))
		return -EFAULT;
	if (!strncmp(buf, "null", 4))
		kcrash_test_null(); /* symbolize-line: call-null */
	else if (!strncmp(buf, "bug", 3))
		kcrash_test_bug();
	else if (!strncmp(buf, "warn", 4))
		kcrash_test_warn();
	else if (!strncmp(buf, "softlockup", 10))
		kcrash_test_softlockup();
	else if (!strncmp(buf, "hung", 4))
		kcrash_test_hung();
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops crashme_ops = {
	.proc_write = crashme_write,
};

static struct proc_dir_entry *entry;

static int __init crashme_init(void)
{
	entry = proc_create("crashme", 0200, NULL, &crashme_ops);
	return entry ? 0 : -ENOMEM;
}

static void __exit crashme_exit(void)
{
	proc_remove(entry);
}

module_init(crashme_init);
module_exit(crashme_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kcrash VM test crashes");
