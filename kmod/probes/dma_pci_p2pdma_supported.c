// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_PCI_P2PDMA_SUPPORTED: whether a device's DMA ops can
 * map P2PDMA pages (Linux 6.0).
 */
#include <linux/dma-mapping.h>

static int __used p2pscope_probe(struct device *dev)
{
	return dma_pci_p2pdma_supported(dev);
}
