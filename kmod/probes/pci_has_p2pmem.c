// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_PCI_HAS_P2PMEM: pci_has_p2pmem(pdev), whether a device
 * publishes p2pmem, exported up to 6.x; static in drivers/pci/p2pdma.c in
 * 7.2, where p2pscope asks pci_p2pmem_find_many() instead (device_query.c).
 */
#include <linux/pci-p2pdma.h>

#if !IS_ENABLED(CONFIG_PCI_P2PDMA)
#error "kernel built without CONFIG_PCI_P2PDMA"
#endif

static int __used p2pscope_probe(struct pci_dev *pdev)
{
	return pci_has_p2pmem(pdev);
}
