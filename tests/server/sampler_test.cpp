#include "server/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using tsuku::server::top_k_candidates;

TEST(TopK, MatchesAFullSortOnAVocabularySizedInput) {
    std::mt19937 rng(7);
    std::normal_distribution<float> logit(0.0f, 3.0f);
    std::vector<float> logits(151936);
    for (auto& l : logits) l = logit(rng);
    std::vector<llama_token_data> got;
    top_k_candidates(logits.data(), static_cast<int>(logits.size()), 40, got);

    std::vector<int> ids(logits.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logits[a] > logits[b]; });
    ASSERT_EQ(got.size(), 40u);
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].id, ids[i]) << "rank " << i;
        EXPECT_EQ(got[i].logit, logits[static_cast<size_t>(ids[i])]);
    }
}

TEST(TopK, HandlesTiesSmallInputsAndInfinities) {
    const std::vector<float> ties = {1, 3, 3, -INFINITY, 2, 3};
    std::vector<llama_token_data> got;
    top_k_candidates(ties.data(), static_cast<int>(ties.size()), 3, got);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].id, 1);  // equal logits: the lower id first
    EXPECT_EQ(got[1].id, 2);
    EXPECT_EQ(got[2].id, 5);
    top_k_candidates(ties.data(), static_cast<int>(ties.size()), 100, got);
    EXPECT_EQ(got.size(), ties.size()) << "k larger than the vocabulary keeps everything";
    EXPECT_EQ(got.back().id, 3);
}
