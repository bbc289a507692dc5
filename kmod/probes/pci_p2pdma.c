// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_PCI_P2PDMA: PCI P2PDMA memory (CONFIG_PCI_P2PDMA): find a
 * published provider, allocate from it, translate, measure distance.
 * Whether one given device publishes is probed by pci_has_p2pmem.
 */
#include <linux/memremap.h>
#include <linux/pci-p2pdma.h>

#if !IS_ENABLED(CONFIG_PCI_P2PDMA)
#error "kernel built without CONFIG_PCI_P2PDMA"
#endif

static int __used p2pscope_probe(struct device *client, struct pci_dev *provider)
{
	struct pci_dev *found = pci_p2pmem_find(client);
	pci_bus_addr_t bus;
	void *addr;
	int dist;

	dist = pci_p2pdma_distance(provider, client, false);
	addr = pci_alloc_p2pmem(provider, PAGE_SIZE);
	bus = pci_p2pmem_virt_to_bus(provider, addr);
	if (is_pci_p2pdma_page(virt_to_page(addr)))
		dist++;
	pci_free_p2pmem(provider, addr, PAGE_SIZE);
	pci_dev_put(found);
	return dist + (int)bus;
}
