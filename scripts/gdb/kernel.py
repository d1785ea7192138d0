# scripts/gdb/kernel.py - gdb helpers for the kernel (make debug loads them).
#   ax-alloc                  page allocator and byte heap statistics
#   ax-walk VA [ROOT|SATP]    translate VA through an Sv39 page table (the
#                             active one, from satp, by default)
#   ax-areas [ASPACE]         the areas of an address space (struct aspace *
#                             expression; the active one by default)
# They only read memory, through the kernel's linear map of RAM.
import gdb

PAGE_SHIFT = 12
PTE_FLAGS = "VRWXUGAD"
SATP_MODE_SV39 = 8
MAPF = ((1, "R"), (2, "W"), (4, "X"), (8, "U"))


def static(name):
    """The value of a global or file-static variable, or None."""
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    return sym.value() if sym else None


def as_u64(expr):
    """The value of a gdb expression (a number, a symbol, $satp) as an unsigned 64-bit int."""
    return int(gdb.parse_and_eval(f"(unsigned long)({expr})")) & (2**64 - 1)


def phys_virt_offset():
    """The linear map's offset: the ELF's absolute symbol PHYS_VIRT_OFFSET,
    which the linker script sets from the platform's CONFIG_PHYS_VIRT_OFFSET."""
    return as_u64("&PHYS_VIRT_OFFSET")


def read_phys_u64(pa):
    """Reads the 64-bit word at physical address pa."""
    mem = gdb.selected_inferior().read_memory(pa + phys_virt_offset(), 8)
    return int.from_bytes(bytes(mem), "little")


def mib(pages):
    return pages * 4096 / (1 << 20)


class AxAlloc(gdb.Command):
    """ax-alloc: page allocator and byte heap statistics."""

    def __init__(self):
        super().__init__("ax-alloc", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        pa = static("page_alloc_state")
        if pa is None:
            print("ax-alloc: no axalloc in this image")
            return
        total, free = int(pa["total_pages"]), int(pa["free_pages"])
        kind = str(pa.type.strip_typedefs().tag).replace("_pgalloc", "")
        print(f"page allocator ({kind}): {total} pages ({mib(total):.1f} MiB), "
              f"{free} free ({mib(free):.1f} MiB), {total - free} used, "
              f"metadata {int(pa['meta_bytes'])} bytes")
        if kind == "buddy":
            blocks = [int(pa["nr_free"][o]) for o in range(pa["nr_free"].type.range()[1] + 1)]
            print("  free blocks by order: " + " ".join(str(b) for b in blocks))
        ranges, n = static("ranges"), static("nr_ranges")
        for i in range(int(n) if n is not None else 0):
            r = ranges[i]
            print(f"  range [{int(r['base']):#x}, {int(r['base']) + int(r['size']):#x}) "
                  f"metadata at {int(r['meta_base']):#x} ({int(r['meta_size'])} bytes)")
        heap = static("heap")
        if heap is not None and int(heap["head"]["ops"]) != 0:
            head = heap["head"]
            print(f"  heap ({head['ops']['name'].string()}): {int(head['allocs'])} allocs, "
                  f"{int(head['frees'])} frees, {int(head['failed'])} failed, "
                  f"{int(head['bad_frees'])} bad frees (the front's cached blocks count as live)")
        failed = static("failed_allocs")
        if failed is not None:
            print(f"  failed allocations: {int(failed)}")


class AxWalk(gdb.Command):
    """ax-walk VA [ROOT|SATP]: translate VA through an Sv39 page table.
ROOT is the physical address of a root table; a value with the Sv39 mode
bits (8 << 60) is taken as satp. Without it, the satp register is used."""

    def __init__(self):
        super().__init__("ax-walk", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 2:
            raise gdb.GdbError("usage: ax-walk VA [ROOT|SATP]")
        va = as_u64(argv[0])
        root = as_u64(argv[1] if len(argv) == 2 else "$satp")
        if root >> 60 == SATP_MODE_SV39:
            root = (root & ((1 << 44) - 1)) << PAGE_SHIFT
        elif root >> 60:
            raise gdb.GdbError(f"ax-walk: {root:#x} is neither a root address nor an Sv39 satp")
        top = va >> 38
        if top not in (0, (1 << 26) - 1):
            print(f"{va:#x}: not canonical for Sv39")
            return
        table = root
        for level in (2, 1, 0):
            idx = (va >> (PAGE_SHIFT + 9 * level)) & 511
            pte = read_phys_u64(table + idx * 8)
            flags = "".join(c if pte >> i & 1 else "-" for i, c in enumerate(PTE_FLAGS))
            print(f"  L{level} table {table:#x} [{idx:3}] pte {pte:#018x} {flags}")
            if not pte & 1:
                print(f"{va:#x}: not mapped")
                return
            next_pa = (pte >> 10 & ((1 << 44) - 1)) << PAGE_SHIFT
            if pte & 0xA:  # R or X: a leaf
                size = 1 << (PAGE_SHIFT + 9 * level)
                pa = next_pa + (va & (size - 1))
                print(f"{va:#x} -> pa {pa:#x} ({size >> 10}K page)")
                return
            table = next_pa
        print(f"{va:#x}: invalid table (a non-leaf entry at level 0)")


class AxAreas(gdb.Command):
    """ax-areas [ASPACE]: list the areas of an address space.
ASPACE is a struct aspace * expression; by default the active space."""

    def __init__(self):
        super().__init__("ax-areas", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if arg.strip():
            space = gdb.parse_and_eval(arg)
        else:
            space = static("current_space")
            if space is None:
                print("ax-areas: no mm-addrspace in this image")
                return
        if int(space) == 0:
            print("ax-areas: no active address space (give one: ax-areas &space)")
            return
        s = space.dereference()
        print(f"address space {int(space):#x}: [{int(s['base']):#x}, {int(s['end']):#x}), "
              f"root table {int(s['pt']['root']):#x}, {int(s['areas']['count'])} areas")
        area_ptr = gdb.lookup_type("struct aspace_area").pointer()
        for node in in_order(s["areas"]["root"]):
            a = node.cast(area_ptr).dereference()
            start, end = int(a["node"]["start"]), int(a["node"]["end"])
            flags = "".join(c if int(a["flags"]) & bit else "-" for bit, c in MAPF)
            b = a["backend"]
            kind = str(b["kind"]).replace("ASPACE_BACKEND_", "").lower()
            extra = (f"pa {start - int(b['linear']['pa_va_offset']) & (2**64 - 1):#x}"
                     if kind == "linear" else
                     "populate" if bool(b["alloc"]["populate"]) else "lazy")
            print(f"  [{start:#014x}, {end:#014x}) {(end - start) >> 10:>10}K {flags} "
                  f"{kind:6} {int(b['pgsize']) >> 10}K pages, {extra}")


def in_order(root):
    """The nodes of an area tree, lowest start first."""
    stack, node = [], root
    while stack or int(node):
        while int(node):
            stack.append(node)
            node = node["left"]
        node = stack.pop()
        yield node
        node = node["right"]


AxAlloc()
AxWalk()
AxAreas()
# main is called by the kernel: show its callers too
gdb.execute("set backtrace past-main on")
