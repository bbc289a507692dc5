// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: devices.
 *
 * Exclusive mode: the PCI driver "p2pscope" has no ID table, like the
 * kernel's dma_map_benchmark, so it binds only to devices handed to it with
 * driver_override.  Borrowed mode: a device stays with its own driver.
 *
 * Either way a measurement "holds" its device (and the device it takes
 * memory from): before any of them is unbound or removed, the bus notifier
 * (or, for exclusive devices, the driver's remove) stops the measurement and
 * waits until it has undone every mapping and freed every buffer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "p2pscope_internal.h"

static LIST_HEAD(p2pscope_holds);
static DEFINE_SPINLOCK(p2pscope_holds_lock);
static DECLARE_WAIT_QUEUE_HEAD(p2pscope_holds_wq);

static struct pci_driver p2pscope_pci_driver;

struct pci_dev *p2pscope_pci_get(const struct p2pscope_pci_addr *a)
{
	return pci_get_domain_bus_and_slot(a->domain, a->bus,
					   PCI_DEVFN(a->device, a->function));
}

static bool p2pscope_is_ours(struct pci_dev *pdev)
{
	return pdev->dev.driver == &p2pscope_pci_driver.driver;
}

/* Which mode a measurement on @pdev gets; call with the device locked. */
u32 p2pscope_mode_of(struct pci_dev *pdev, struct p2pscope_outcome *out)
{
	if (!pdev->dev.driver) {
		p2pscope_refuse(out, P2PSCOPE_REASON_DEVICE_UNBOUND, 0,
				"%s has no driver: bind it to p2pscope with driver_override (exclusive), or to its own driver (borrowed)",
				pci_name(pdev));
		return P2PSCOPE_MODE_NONE;
	}
	if (p2pscope_is_ours(pdev))
		return P2PSCOPE_MODE_EXCLUSIVE;
	if (to_pci_driver(pdev->dev.driver)->driver_managed_dma) {
		p2pscope_refuse(out, P2PSCOPE_REASON_DMA_OWNED, 0,
				"%s is bound to %s, which manages its DMA itself (user space's, for vfio): not the DMA API's",
				pci_name(pdev), pdev->dev.driver->name);
		return P2PSCOPE_MODE_NONE;
	}
	if (!READ_ONCE(p2pscope_allow_borrowed)) {
		p2pscope_refuse(out, P2PSCOPE_REASON_BORROWED_DISABLED, 0,
				"%s is bound to %s; borrowed mode is off (load p2pscope with allow_borrowed=1)",
				pci_name(pdev), pdev->dev.driver->name);
		return P2PSCOPE_MODE_NONE;
	}
	return P2PSCOPE_MODE_BORROWED;
}

bool p2pscope_held(struct pci_dev *pdev, bool as_dut_only)
{
	struct p2pscope_hold *h;
	bool found = false;

	spin_lock(&p2pscope_holds_lock);
	list_for_each_entry(h, &p2pscope_holds, node) {
		if (h->pdev == pdev || (!as_dut_only && h->peer == pdev)) {
			found = true;
			break;
		}
	}
	spin_unlock(&p2pscope_holds_lock);
	return found;
}

int p2pscope_hold_dut(struct p2pscope_hold *hold, struct pci_dev *pdev,
		      u32 *mode, struct p2pscope_outcome *out)
{
	int ret = 0;

	/*
	 * With the device locked its driver cannot change; once the hold is
	 * on the list, an unbind stops the measurement before the driver goes.
	 */
	device_lock(&pdev->dev);
	*mode = p2pscope_mode_of(pdev, out);
	if (*mode == P2PSCOPE_MODE_NONE) {
		ret = P2PSCOPE_REFUSED;
		goto unlock;
	}
	if (p2pscope_held(pdev, true)) {
		pr_warn_ratelimited("%s[%d]: %s: a measurement is already running on this device\n",
				    current->comm, task_pid_nr(current),
				    pci_name(pdev));
		ret = -EBUSY;
		goto unlock;
	}
	hold->pdev = pdev;
	hold->peer = NULL;
	hold->gone = 0;
	hold->wake = NULL;	/* its run checks between samples */
	spin_lock(&p2pscope_holds_lock);
	list_add_tail(&hold->node, &p2pscope_holds);
	hold->registered = true;
	spin_unlock(&p2pscope_holds_lock);
unlock:
	device_unlock(&pdev->dev);
	return ret;
}

/*
 * Hold the device a run takes memory from.  A p2pmem provider (@p2pmem) must
 * publish, checked under its device lock so that an unbind cannot come
 * between the check and the hold (its p2pmem goes with its driver); a BAR
 * owner need not have a driver.  Bound to another driver, either is borrowed:
 * refused unless allow_borrowed, and always when that driver owns its DMA.
 */
int p2pscope_hold_peer(struct p2pscope_hold *hold, struct pci_dev *peer,
		       bool p2pmem, struct p2pscope_outcome *out)
{
	bool lock = peer != hold->pdev;
	int ret = 0;

	if (lock)
		device_lock(&peer->dev);
	/* A peer with another driver is borrowed as much as a device under test. */
	if (lock && peer->dev.driver &&
	    p2pscope_mode_of(peer, out) == P2PSCOPE_MODE_NONE) {
		ret = P2PSCOPE_REFUSED;
		goto unlock;
	}
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	if (p2pmem && !p2pscope_p2pmem_published(peer)) {
		ret = p2pscope_refuse(out, P2PSCOPE_REASON_NO_P2PMEM, 0,
				      "%s publishes no p2pmem", pci_name(peer));
		goto unlock;
	}
#endif
	spin_lock(&p2pscope_holds_lock);
	if (READ_ONCE(hold->gone))
		ret = p2pscope_refuse(out, P2PSCOPE_REASON_DEVICE_GONE, 0,
				      "%s was unbound or removed",
				      pci_name(hold->pdev));
	else
		hold->peer = peer;
	spin_unlock(&p2pscope_holds_lock);
unlock:
	if (lock)
		device_unlock(&peer->dev);
	return ret;
}

void p2pscope_hold_memory(struct p2pscope_hold *hold, struct pci_dev *peer,
			  wait_queue_head_t *wake)
{
	hold->pdev = NULL;
	hold->peer = peer;
	hold->gone = 0;
	hold->wake = wake;
	spin_lock(&p2pscope_holds_lock);
	list_add_tail(&hold->node, &p2pscope_holds);
	hold->registered = true;
	spin_unlock(&p2pscope_holds_lock);
}

void p2pscope_release(struct p2pscope_hold *hold)
{
	if (!hold->registered)
		return;
	spin_lock(&p2pscope_holds_lock);
	list_del(&hold->node);
	hold->registered = false;
	spin_unlock(&p2pscope_holds_lock);
	wake_up_all(&p2pscope_holds_wq);
}

/* @pdev is about to lose its driver or disappear: stop what uses it. */
static void p2pscope_stop_holders(struct pci_dev *pdev)
{
	struct p2pscope_hold *h;
	bool busy = false;

	spin_lock(&p2pscope_holds_lock);
	list_for_each_entry(h, &p2pscope_holds, node) {
		if (h->pdev == pdev || h->peer == pdev) {
			WRITE_ONCE(h->gone, 1);
			if (h->wake)
				wake_up_all(h->wake);
			busy = true;
		}
	}
	spin_unlock(&p2pscope_holds_lock);
	if (!busy)
		return;
	pci_info(pdev, "p2pscope: stopping the measurement that uses this device\n");
	/*
	 * A run checks between samples and lets go within one; the bound is
	 * for the unforeseen, so that a removal never hangs on p2pscope.
	 */
	if (!wait_event_timeout(p2pscope_holds_wq, !p2pscope_held(pdev, false),
				P2PSCOPE_STOP_WAIT_S * HZ)) {
		pci_warn(pdev, "p2pscope: the measurement did not stop within %u s; letting the removal go on\n",
			 P2PSCOPE_STOP_WAIT_S);
		return;
	}
	pci_info(pdev, "p2pscope: the measurement stopped and let go of this device\n");
}

static int p2pscope_bus_notify(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_UNBIND_DRIVER:
	case BUS_NOTIFY_DEL_DEVICE:
		p2pscope_stop_holders(to_pci_dev(dev));
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block p2pscope_bus_nb = {
	.notifier_call = p2pscope_bus_notify,
};

/* What an exclusive device had before p2pscope changed it. */
struct p2pscope_xdev {
	u64 dma_mask;
	u64 coherent_dma_mask;
	unsigned int max_seg_size;
};

static int p2pscope_pci_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct p2pscope_xdev *x;
	u16 cmd;

	/* Taking a bridge from its port driver would cut off what is below. */
	if (pdev->subordinate || pci_is_bridge(pdev)) {
		pci_warn(pdev, "p2pscope: refusing to bind to a bridge\n");
		return -ENODEV;
	}
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	x->dma_mask = dma_get_mask(&pdev->dev);
	x->coherent_dma_mask = pdev->dev.coherent_dma_mask;
	x->max_seg_size = dma_get_max_seg_size(&pdev->dev);

	/*
	 * The device never does DMA for p2pscope; give it what a modern device
	 * has, so that the mask does not decide what is measured (a run can
	 * still ask for another mask).
	 */
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64)))
		pci_warn(pdev, "p2pscope: cannot set a 64-bit DMA mask, keeping 0x%llx\n",
			 dma_get_mask(&pdev->dev));
	if (pdev->dev.dma_parms)
		dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	/*
	 * Quiet: a device that a previous driver left mastering could still
	 * write memory that p2pscope now maps for it.
	 */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (cmd & PCI_COMMAND_MASTER)
		pci_info(pdev, "p2pscope: bus mastering was on: turned off\n");
	pci_clear_master(pdev);
	pci_set_drvdata(pdev, x);
	pci_info(pdev, "p2pscope: bound (exclusive mode), DMA mask 0x%llx\n",
		 dma_get_mask(&pdev->dev));
	return 0;
}

static void p2pscope_pci_remove(struct pci_dev *pdev)
{
	struct p2pscope_xdev *x = pci_get_drvdata(pdev);

	/* The bus notifier has normally done this already: it is cheap. */
	p2pscope_stop_holders(pdev);
	dma_set_mask(&pdev->dev, x->dma_mask);
	dma_set_coherent_mask(&pdev->dev, x->coherent_dma_mask);
	if (pdev->dev.dma_parms)
		dma_set_max_seg_size(&pdev->dev, x->max_seg_size);
	pci_set_drvdata(pdev, NULL);
	kfree(x);
	pci_info(pdev, "p2pscope: unbound\n");
}

static struct pci_driver p2pscope_pci_driver = {
	.name		= "p2pscope",
	.id_table	= NULL,		/* driver_override only */
	.probe		= p2pscope_pci_probe,
	.remove		= p2pscope_pci_remove,
};

int p2pscope_dev_init(void)
{
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &p2pscope_bus_nb);
	if (ret)
		return ret;
	ret = pci_register_driver(&p2pscope_pci_driver);
	if (ret)
		bus_unregister_notifier(&pci_bus_type, &p2pscope_bus_nb);
	return ret;
}

void p2pscope_dev_exit(void)
{
	pci_unregister_driver(&p2pscope_pci_driver);
	bus_unregister_notifier(&pci_bus_type, &p2pscope_bus_nb);
}
