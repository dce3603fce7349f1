// Our copy of ggml's block geometry must equal the pinned libggml-base's, type for type.
#include "model/gguf_types.h"

#include <gtest/gtest.h>

#include "ggml.h"

TEST(GgmlTypes, TableMatchesTheRealLibrary) {
    size_t live = 0;
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const auto type = static_cast<ggml_type>(t);
        if (ggml_blck_size(type) == 0) continue;  // removed type
        ++live;
        const auto ours = tsuku::model::find_ggml_type(static_cast<uint32_t>(t));
        ASSERT_TRUE(ours) << "missing type " << t << " " << ggml_type_name(type);
        EXPECT_EQ(ours->block_elements, static_cast<uint32_t>(ggml_blck_size(type))) << ours->name;
        EXPECT_EQ(ours->block_bytes, ggml_type_size(type)) << ours->name;
        EXPECT_EQ(ours->name, ggml_type_name(type));
    }
    EXPECT_EQ(live, tsuku::model::ggml_type_table().size());
}
