#include "server/elf_needed.h"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace tsuku::server {
namespace {

template <class T>
bool read_at(std::ifstream& in, uint64_t offset, T& out) {
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(reinterpret_cast<char*>(&out), sizeof out));
}

}  // namespace

std::vector<std::string> elf_needed(const std::filesystem::path& library) {
    std::vector<std::string> needed;
    std::ifstream in(library, std::ios::binary);
    Elf64_Ehdr eh{};
    if (!in || !read_at(in, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum > 4096) {
        return needed;
    }
    for (uint16_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr dyn{};
        if (!read_at(in, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), dyn)) return needed;
        if (dyn.sh_type != SHT_DYNAMIC || dyn.sh_link >= eh.e_shnum) continue;
        Elf64_Shdr strtab{};
        if (!read_at(in, eh.e_shoff + uint64_t{dyn.sh_link} * sizeof(Elf64_Shdr), strtab)) return needed;
        const uint64_t n = dyn.sh_size / sizeof(Elf64_Dyn);
        for (uint64_t k = 0; k < n && k < 4096; ++k) {
            Elf64_Dyn d{};
            if (!read_at(in, dyn.sh_offset + k * sizeof(Elf64_Dyn), d) || d.d_tag == DT_NULL) break;
            if (d.d_tag != DT_NEEDED || d.d_un.d_val >= strtab.sh_size) continue;
            in.seekg(static_cast<std::streamoff>(strtab.sh_offset + d.d_un.d_val));
            std::string name;
            std::getline(in, name, '\0');
            needed.push_back(name);
        }
        break;
    }
    return needed;
}

}  // namespace tsuku::server
