"""VIM drivers: every VIM speaks :class:`netorch.drivers.vim.base.VimDriver`."""
