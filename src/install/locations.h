// Where installed things live and whether they are there — the cheap part of the install concern, without the
// download and archive machinery (so light commands such as `tsuku llm detect` do not load libcurl/libarchive).
#pragma once

#include <filesystem>
#include <string>

#include "common/home.h"
#include "manifest/manifest.h"

namespace tsuku::install {

// True for URLs that go over the network (and so need the user's consent); file:// is a local copy.
bool needs_network(const std::string& url);

// tools/tsuku-llm/<version>/<backend>/
std::filesystem::path variant_dir(const Home& home, const manifest::Manifest& m, Backend backend);
bool variant_installed(const Home& home, const manifest::Manifest& m, Backend backend);

// models/<name>.gguf, present when the file is there with the manifest's size.
std::filesystem::path model_path(const Home& home, const manifest::Model& m);
bool model_present(const Home& home, const manifest::Model& m);

}  // namespace tsuku::install
